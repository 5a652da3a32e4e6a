import { redactSecrets } from '../util/redact.js';
import type { BucketSpec } from './rate-budget.js';
import { sessionTitle, type SlackPoster } from './slack-poster.js';

/** Slack caps a view's content at 1,000,000 bytes (`content_too_large` above it). */
export const VIEW_MAX_BYTES = 1_000_000;
/** The context bar holds at most five items. */
export const CONTEXT_BAR_MAX = 5;

/** One item of a code channel's context bar (agents.conversations.setProperties). */
export interface ContextBarItem {
  key: string;
  label: string;
  icon?: 'branch' | 'folder' | 'hierarchy' | 'life-ring' | 'link' | 'globe' | 'terminal' | 'code' | 'search' | 'lock';
  url?: string;
}

/**
 * A diff as a code channel's `diff` view takes it: whole when it fits in Slack's 1 MB, else cut
 * at a line boundary with a last line saying so (and where the whole diff is), so nobody reads a
 * cut diff as the whole change.
 */
export function boundedDiff(diff: string, maxBytes = VIEW_MAX_BYTES): string {
  const total = Buffer.byteLength(diff, 'utf8');
  if (total <= maxBytes) return diff;
  const note = (shown: number) => `\n# … diff truncated: ${shown} of ${total} bytes shown; the whole diff is attached in the task's thread.\n`;
  const room = maxBytes - Buffer.byteLength(note(total), 'utf8');
  let cut = Buffer.from(diff, 'utf8').subarray(0, room).toString('utf8');
  // A partial multi-byte character decodes to U+FFFD: drop it, and end on a whole line.
  cut = cut.replace(/\uFFFD$/, '');
  const lastLine = cut.lastIndexOf('\n');
  if (lastLine > 0) cut = cut.slice(0, lastLine);
  return `${cut}${note(Buffer.byteLength(cut, 'utf8'))}`;
}

/**
 * Slack Code channels through the Web API (`agents.conversations.*`, scope
 * `code_channels:manage`): every call redacted and drawn from the shared rate budget (one
 * bucket per workspace, Slack's Tier 2: 20 a minute), a 429 pausing it in every process.
 */
export class CodeChannelClient {
  constructor(private readonly poster: SlackPoster) {}

  private bucket(): BucketSpec {
    return { name: `code-channels:${this.poster.teamId()}`, limit: 20, windowMs: 60_000 };
  }

  /**
   * The code channel of a session, created from the message that started it (its author is
   * invited). `sessionId` makes the call idempotent: a retry returns the same channel.
   */
  async create(input: { originChannel: string; originTs: string; sessionId: string; name: string }): Promise<string> {
    const result = await this.poster.withBudget(this.bucket(), () =>
      this.poster.client.agents.conversations.create({ origin_channel_id: input.originChannel, origin_message_ts: input.originTs, session_id: input.sessionId, name: sessionTitle(input.name).slice(0, 80) }),
    );
    if (!result.channel_id) throw new Error('agents.conversations.create returned no channel_id');
    return result.channel_id;
  }

  /** Replaces the context bar (at most five items, labels ≤ 128 characters). */
  async setContextBar(channel: string, items: ContextBarItem[]): Promise<void> {
    const bar = items.slice(0, CONTEXT_BAR_MAX).map((i) => ({ ...i, label: redactSecrets(i.label).slice(0, 128) }));
    await this.poster.withBudget(this.bucket(), () => this.poster.client.agents.conversations.setProperties({ channel_id: channel, code_channel: { context_bar_items: bar } }));
  }

  /** Marks the message that sums the session up (the latest turn's summary). */
  async setSummaryMessage(channel: string, ts: string): Promise<void> {
    await this.poster.withBudget(this.bucket(), () => this.poster.client.agents.conversations.setProperties({ channel_id: channel, code_channel: { summary_message: { message_ts: ts } } }));
  }

  /** The channel's `diff` view (one per channel): redacted, then bounded to Slack's 1 MB. */
  async setDiffView(channel: string, diff: string, branches: { base: string; head: string }): Promise<void> {
    const content = boundedDiff(redactSecrets(diff));
    await this.poster.withBudget(this.bucket(), () => this.poster.client.agents.conversations.setView({ channel_id: channel, type: 'diff', content, base_branch: branches.base, head_branch: branches.head }));
  }

  /** The channel's `pull_request` view. */
  async setPullRequestView(channel: string, url: string): Promise<void> {
    await this.poster.withBudget(this.bucket(), () => this.poster.client.agents.conversations.setView({ channel_id: channel, type: 'pull_request', view_key: 'pull-request', pr_url: url }));
  }

  /** Archives the channel; its history stays readable. One already archived is fine. */
  async archive(channel: string): Promise<void> {
    try {
      await this.poster.withBudget(this.bucket(), () => this.poster.client.agents.conversations.archive({ channel_id: channel }));
    } catch (e) {
      // Already archived, or deleted by someone: nothing is left to archive.
      const error = (e as { data?: { error?: string } }).data?.error;
      if (error !== 'already_archived' && error !== 'channel_not_found' && error !== 'not_a_code_channel') throw e;
    }
  }
}
