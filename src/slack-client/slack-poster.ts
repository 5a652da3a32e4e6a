import type { ChatAppendStreamArguments, MessageMetadata, WebClient } from '@slack/web-api';
import type { Logger } from '../logger.js';
import type { SlackSettings } from '../config.js';
import { redactBlocks, redactSecrets } from '../util/redact.js';
import type { BucketSpec, RateBudget } from './rate-budget.js';

import { parseTaskMessageMetadata, taskMessageMetadata, type SlackMessage, type TaskMessageKind } from '../blocks/index.js';

export type { SlackMessage, TaskMessageKind };

/** One chunk of a streamed message (markdown_text, task_update, plan_update, blocks). */
export type StreamChunk = NonNullable<ChatAppendStreamArguments['chunks']>[number];

function isRateLimited(e: unknown): e is { retryAfter: number } {
  return typeof e === 'object' && e !== null && (e as { code?: string }).code === 'slack_webapi_rate_limited_error';
}

/**
 * Per-minute budgets count a call when it leaves; Slack counts it when it arrives. Two calls a
 * minute apart here can land less than a minute apart there (one was slow on the way), which
 * puts a 51st call in Slack's minute: a second of margin keeps the budget under the limit.
 * (Found by tests/e2e/scale-parallel.test.ts, 20 tasks against the published limits.)
 */
const MINUTE_WITH_MARGIN = 61_000;

/**
 * The one way task messages reach Slack: redacts every text, stamps task metadata, draws from
 * the shared rate budget, and turns a 429 into a pause of the whole bucket followed by a retry,
 * so an update is delayed, never lost. The WebClient must be built with
 * `rejectRateLimitedCalls: true` so that 429s come back here instead of being retried blindly.
 */
export class SlackPoster {
  constructor(
    readonly client: WebClient,
    private readonly budget: RateBudget,
    readonly settings: SlackSettings,
    private readonly logger: Logger,
    /** Workspace the bot is in: the key of the chat.update budget (a function when it is learnt late). */
    private readonly team: string | (() => string) = 'default',
  ) {}

  updateBucket(): BucketSpec {
    return { name: `updates:${this.teamId()}`, limit: this.settings.updatesPerMinute, windowMs: MINUTE_WITH_MARGIN };
  }

  postBucket(channel: string): BucketSpec {
    const perSecond = this.settings.postsPerSecond;
    // Whole calls only: 1/s is one per 1,000 ms; 0.5/s is one per 2,000 ms.
    return perSecond >= 1
      ? { name: `posts:${channel}`, limit: Math.round(perSecond), windowMs: 1_000 }
      : { name: `posts:${channel}`, limit: 1, windowMs: Math.ceil(1_000 / perSecond) };
  }

  /**
   * Registers `taskId` as drawing from the workspace's update budget and returns the least time
   * between two of its card updates, so that every running task gets an equal share.
   */
  async updateShare(taskId: string): Promise<number> {
    const bucket = this.updateBucket();
    await this.budget.heartbeat(bucket, taskId);
    return this.budget.fairInterval(bucket);
  }

  async leaveUpdates(taskId: string): Promise<void> {
    await this.budget.leave(this.updateBucket(), taskId);
  }

  /** Posts a message for a task; returns its ts. */
  async post(taskId: string, channel: string, message: SlackMessage, options: { threadTs?: string; kind: TaskMessageKind; approvalId?: string; seq?: number }): Promise<string> {
    const result = await this.withBudget(this.postBucket(channel), () =>
      this.client.chat.postMessage({
        channel,
        thread_ts: options.threadTs,
        text: redactSecrets(message.text),
        blocks: redactBlocks(message.blocks),
        metadata: taskMessageMetadata(options.kind, taskId, { approvalId: options.approvalId, seq: options.seq }) as MessageMetadata,
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    if (!result.ts) throw new Error('chat.postMessage returned no ts');
    return result.ts;
  }

  /** Replaces a message of a task in place. */
  async update(taskId: string, channel: string, ts: string, message: SlackMessage, kind: TaskMessageKind): Promise<void> {
    await this.withBudget(this.updateBucket(), () =>
      this.client.chat.update({
        channel,
        ts,
        text: redactSecrets(message.text),
        blocks: redactBlocks(message.blocks),
        metadata: taskMessageMetadata(kind, taskId) as MessageMetadata,
      }),
    );
  }

  /**
   * Sets the agent-session status of a task's thread, or of a code channel (`threadTs`
   * undefined: Slack's sessions API takes no thread there); the title and the initiator name
   * the session when this call creates it.
   */
  async setSessionStatus(channel: string, threadTs: string | undefined, status: 'processing' | 'active', session: { title: string; initiator?: string }): Promise<void> {
    const result = await this.client.agents.sessions.setStatus({ channel_id: channel, ...(threadTs ? { thread_ts: threadTs } : {}), status, title: sessionTitle(session.title), ...(session.initiator ? { initiator_user_id: session.initiator } : {}) });
    if (result.warning) this.logger.warn({ warning: result.warning }, 'agents.sessions.setStatus warned: check that the app subscribes to agent_session_stopped');
  }

  /** Renames a session (a thread's, or a code channel's when `threadTs` is undefined). */
  async renameSession(channel: string, threadTs: string | undefined, title: string): Promise<void> {
    await this.client.agents.sessions.rename({ channel_id: channel, ...(threadTs ? { thread_ts: threadTs } : {}), title: sessionTitle(title) });
  }

  /**
   * Starts a streamed message in a task's thread (chat.startStream, Tier 2, shared budget per
   * workspace); outside a DM Slack needs the person it streams to. Returns the message's ts.
   */
  async startStream(channel: string, threadTs: string, recipient: string, chunks: StreamChunk[], mode: 'timeline' | 'plan' = 'timeline'): Promise<string> {
    const im = channel.startsWith('D');
    const result = await this.withBudget(this.streamBucket('start'), () =>
      this.client.chat.startStream({ channel, thread_ts: threadTs, chunks: redactChunks(chunks), task_display_mode: mode, ...(im ? {} : { recipient_user_id: recipient, recipient_team_id: this.teamId() }) }),
    );
    if (!result.ts) throw new Error('chat.startStream returned no ts');
    return result.ts;
  }

  /** Appends to a streamed message (chat.appendStream, Tier 4). */
  async appendStream(channel: string, ts: string, chunks: StreamChunk[]): Promise<void> {
    await this.withBudget(this.streamBucket('append'), () => this.client.chat.appendStream({ channel, ts, chunks: redactChunks(chunks) }));
  }

  /** Ends a streamed message (chat.stopStream, Tier 2). */
  async stopStream(channel: string, ts: string): Promise<void> {
    await this.withBudget(this.streamBucket('stop'), () => this.client.chat.stopStream({ channel, ts }));
  }

  /** Slack's tiers, per workspace and method: appendStream Tier 4 (100+ a minute), start and stop Tier 2 (20+). */
  private streamBucket(method: 'start' | 'append' | 'stop'): BucketSpec {
    return { name: `stream-${method}:${this.teamId()}`, limit: method === 'append' ? 100 : 20, windowMs: MINUTE_WITH_MARGIN };
  }

  teamId(): string {
    return typeof this.team === 'function' ? this.team() : this.team;
  }

  /** Publishes a person's App Home tab (redacted like everything else). */
  async publishHome(user: string, view: { type: 'home'; blocks: unknown[] }): Promise<void> {
    await this.client.views.publish({ user_id: user, view: { type: 'home', blocks: redactBlocks(view.blocks) as never } });
  }

  /** Posts a message that belongs to no task (an automation's notice) in a channel. */
  /** Opens a modal with a click's `trigger_id` (it is good once, for three seconds: call at once). */
  async openModal(triggerId: string, view: { type: 'modal'; blocks: unknown[] } & Record<string, unknown>): Promise<void> {
    await this.client.views.open({ trigger_id: triggerId, view: { ...view, blocks: redactBlocks(view.blocks) } as never });
  }

  async postMessage(channel: string, message: SlackMessage): Promise<void> {
    await this.withBudget(this.postBucket(channel), () => this.client.chat.postMessage({ channel, text: redactSecrets(message.text), blocks: redactBlocks(message.blocks), unfurl_links: false, unfurl_media: false }));
  }

  async postEphemeral(channel: string, user: string, message: SlackMessage, threadTs?: string): Promise<void> {
    await this.client.chat.postEphemeral({
      channel,
      user,
      thread_ts: threadTs,
      text: redactSecrets(message.text),
      blocks: redactBlocks(message.blocks),
    });
  }

  /**
   * True when the thread holds a message posted for task event `seq` of `taskId` (its metadata
   * says so): a renderer that takes over checks the one message its predecessor may have
   * posted just before it died, rather than post it twice.
   */
  async threadHasPost(channel: string, threadTs: string, taskId: string, seq: number): Promise<boolean> {
    let cursor: string | undefined;
    do {
      const page = await this.client.conversations.replies({ channel, ts: threadTs, include_all_metadata: true, limit: 200, cursor });
      for (const m of page.messages ?? []) {
        const meta = parseTaskMessageMetadata(m.metadata);
        if (meta?.taskId === taskId && meta.seq === seq) return true;
      }
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return false;
  }

  /** Adds a reaction; an existing one is fine. Reactions are cosmetic, so failures are only logged. */
  async react(channel: string, ts: string, name: string): Promise<void> {
    try {
      await this.client.reactions.add({ channel, timestamp: ts, name });
    } catch (e) {
      const code = (e as { data?: { error?: string } }).data?.error;
      if (code !== 'already_reacted') this.logger.warn({ err: e, channel, ts, name }, 'could not add reaction');
    }
  }

  /** Uploads a text file (the diff) into a task's thread. */
  async uploadFile(channel: string, threadTs: string, filename: string, content: string, title: string): Promise<void> {
    await this.withBudget(this.postBucket(channel), () =>
      this.client.files.uploadV2({ channel_id: channel, thread_ts: threadTs, filename: redactSecrets(filename), title: redactSecrets(title), content: redactSecrets(content) }),
    );
  }

  /** Runs `call` once the bucket allows it; on 429, pauses the bucket for Retry-After and tries again. */
  async withBudget<T>(bucket: BucketSpec, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.budget.acquire(bucket);
      try {
        return await call();
      } catch (e) {
        if (!isRateLimited(e) || attempt >= 20) throw e;
        const ms = Math.max(1, e.retryAfter) * 1_000;
        this.logger.info({ bucket: bucket.name, retryAfterMs: ms }, 'slack rate limited; pausing bucket');
        await this.budget.pause(bucket, ms);
      }
    }
  }
}

/** A session's title as Slack takes it: one line, redacted, 1 to 200 characters. */
export function sessionTitle(title: string): string {
  return redactSecrets(title.replace(/\s+/g, ' ').trim()).slice(0, 200) || 'Codex task';
}

/** Every text of streamed chunks redacted (the caller cut them to Slack's sizes after redacting the whole). */
function redactChunks(chunks: StreamChunk[]): StreamChunk[] {
  return chunks.map((c) => {
    switch (c.type) {
      case 'markdown_text':
        return { ...c, text: redactSecrets(c.text) };
      case 'plan_update':
        return { ...c, title: redactSecrets(c.title) };
      case 'task_update':
        return { ...c, title: redactSecrets(c.title), ...(c.details ? { details: redactSecrets(c.details) } : {}), ...(c.output ? { output: redactSecrets(c.output) } : {}) };
      default:
        return { ...c, blocks: redactBlocks(c.blocks) as typeof c.blocks };
    }
  });
}
