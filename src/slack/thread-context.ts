import type { SlackDeps } from './slack-deps.js';

const MAX_MESSAGES = 100;

/**
 * The thread's earlier messages (before `beforeTs`), oldest first, as `<@U…>: text` lines, cut
 * from the oldest side to the configured size so the newest context survives.
 */
export async function readThreadContext(deps: SlackDeps, channel: string, threadTs: string, beforeTs: string): Promise<string | undefined> {
  const result = await deps.poster.client.conversations.replies({ channel, ts: threadTs, limit: MAX_MESSAGES });
  const lines = (result.messages ?? [])
    .filter((m) => m.ts !== undefined && Number(m.ts) < Number(beforeTs) && (m.text ?? '').trim() !== '')
    .map((m) => `${m.user ? `<@${m.user}>` : 'bot'}: ${m.text!.trim()}`);
  if (lines.length === 0) return undefined;
  const max = deps.config.file.slack.threadContextChars;
  let text = lines.join('\n');
  if (text.length > max) text = `[… earlier messages cut]\n${text.slice(text.length - max)}`;
  return text;
}
