import type { KnownBlock } from '@slack/web-api';
import { context } from './block-kit.js';
import { BLOCKS_TEXT_BUDGET, FALLBACK_TEXT_MAX, plural, SLACK_LIMITS, truncateText } from './limits.js';

/**
 * What every builder returns: blocks to render and `text`, the fallback Slack shows in
 * notifications and reads to screen readers. Both are mrkdwn-safe: user content is escaped.
 */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Total characters of text in a block tree: every `text` string of every text object. */
export function blocksTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + blocksTextLength(v), 0);
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'text' && typeof v === 'string') n += v.length;
    else n += blocksTextLength(v);
  }
  return n;
}

/**
 * Assembles a message and applies the message-wide limits: at most 50 blocks and at most
 * `BLOCKS_TEXT_BUDGET` characters of text across them. Content blocks are dropped from the end
 * (the first block, which says what the message is, and the action buttons always stay) and a
 * context line says how many were left out. `fallback` must already be mrkdwn-safe.
 */
export function buildMessage(fallback: string, blocks: KnownBlock[]): SlackMessage {
  const text = truncateText(fallback.replace(/\s*\n\s*/g, ' '), FALLBACK_TEXT_MAX).replace(/&[a-z]{0,3}(?=( … [\d,]+ more characters)?$)/, '');
  const buttons = blocks.filter((b) => b.type === 'actions');
  let content = blocks.filter((b) => b.type !== 'actions');
  const fits = (c: KnownBlock[], notice: KnownBlock[]) =>
    c.length + notice.length + buttons.length <= SLACK_LIMITS.messageBlocks &&
    blocksTextLength([...c, ...notice, ...buttons]) <= BLOCKS_TEXT_BUDGET;
  if (!fits(content, [])) {
    let dropped = 0;
    const notice = () => [context([`… ${plural(dropped, 'more part')} of this message not shown (Slack's size limit)`])];
    while (content.length > 1 && !fits(content, notice())) {
      content = content.slice(0, -1);
      dropped += 1;
    }
    content = [...content, ...notice()];
  }
  return { text: text || ' ', blocks: [...content, ...buttons] };
}
