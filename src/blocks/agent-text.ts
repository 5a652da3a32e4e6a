import { truncateText } from './limits.js';

/**
 * Renders text the model wrote (Markdown, usually) as Slack mrkdwn within `max` characters.
 *
 * The model's text is untrusted (it can echo repository content), so it is escaped first:
 * no mentions, no `<!channel>`, no disguised links. Then the Markdown that reads badly in
 * Slack is converted: `**bold**` → `*bold*`, `# Heading` → `*Heading*`, a fence's language tag
 * is dropped. A cut inside a code fence closes the fence so the rest of the thread does not
 * render as code.
 */
export function renderAgentText(markdown: string, max: number, maxLines = 60): string {
  const cut = truncateText(markdown.trim() || '(no text)', max - 4, { escape: true, maxLines });
  let out = cut
    .replace(/\*\*(?=\S)([^*\n]+?)\*\*/g, '*$1*')
    .replace(/__(?=\S)([^_\n]+?)__/g, '_$1_')
    .replace(/^#{1,6}\s+(.+?)\s*#*$/gm, '*$1*')
    .replace(/^```[\w+.-]+$/gm, '```');
  if ((out.match(/```/g) ?? []).length % 2 === 1) out += '\n```';
  return out;
}
