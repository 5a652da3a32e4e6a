import type { ReviewFinding } from '../tasks/protocol.js';
import { actions, button, section } from './block-kit.js';
import { ACTION_IDS, encodeButtonValue } from './button-value.js';
import { renderAgentText } from './agent-text.js';
import { inlineCode, plural, truncateText } from './limits.js';
import { buildMessage, type SlackMessage } from './message.js';

export interface ReviewView {
  taskId: string;
  verdict: 'approve' | 'request_changes' | 'comment';
  summary: string;
  findings: ReviewFinding[];
  head: string;
  base: string;
  pullRequest?: { number: number; url: string };
  reviewUrl?: string;
  hostError?: string;
}

const VERDICT: Record<ReviewView['verdict'], string> = { approve: '✅ Looks good', request_changes: '❌ Changes needed', comment: '💬 Comments' };
const SEVERITY: Record<ReviewFinding['severity'], string> = { high: '🔴', medium: '🟠', low: '🟡' };
const FINDINGS_SHOWN = 20;

const safeUrl = (url: string) => /^https?:\/\/[^\s|<>]+$/.test(url);

/** A review's outcome: the verdict, then each finding with its file and line, most severe first; "Fix these" when there are any. */
export function renderReview(view: ReviewView): SlackMessage {
  const what = view.pullRequest ? (safeUrl(view.pullRequest.url) ? `<${view.pullRequest.url}|pull request #${view.pullRequest.number}>` : `pull request #${view.pullRequest.number}`) : inlineCode(view.head, 100);
  const blocks = [section(`*Review of ${what}* against ${inlineCode(view.base, 100)}: *${VERDICT[view.verdict]}* · ${plural(view.findings.length, 'finding')}`)];
  if (view.summary.trim()) blocks.push(section(renderAgentText(view.summary, 1500, 15)));
  const lines = view.findings.slice(0, FINDINGS_SHOWN).map((f) => `${SEVERITY[f.severity]} ${inlineCode(`${f.file}${f.line ? `:${f.line}` : ''}`, 120)} *${truncateText(f.title, 150, { escape: true })}*${f.body ? `: ${truncateText(f.body, 300, { escape: true, maxLines: 3 })}` : ''}`);
  if (view.findings.length > FINDINGS_SHOWN) lines.push(`… and ${view.findings.length - FINDINGS_SHOWN} more`);
  if (lines.length) blocks.push(section(lines.join('\n')));
  if (view.reviewUrl) blocks.push(section(`Posted on GitHub as a review${safeUrl(view.reviewUrl) ? `: <${view.reviewUrl}|view it>` : '.'}`));
  if (view.hostError) blocks.push(section(`⚠️ ${truncateText(view.hostError, 600, { escape: true, maxLines: 4 })}`));
  const message = buildMessage(`Review: ${VERDICT[view.verdict]}, ${plural(view.findings.length, 'finding')}`, blocks);
  if (view.findings.length > 0) {
    message.blocks.push(actions('codex_review_actions', [button({ text: 'Fix these', actionId: ACTION_IDS.fixFindings, value: encodeButtonValue({ t: view.taskId }), style: 'primary' })]));
  }
  return message;
}

/** The prompt of the task "Fix these" starts: every finding, most severe first. */
export function findingsPrompt(view: Pick<ReviewView, 'head' | 'findings'>): string {
  const items = view.findings.map((f, i) => `${i + 1}. [${f.severity}] ${f.file}${f.line ? `:${f.line}` : ''}: ${f.title}${f.body ? `. ${f.body}` : ''}`);
  return `Fix these review findings on ${view.head}:\n${items.join('\n')}`;
}
