import type { Logger } from '../logger.js';
import { CodeChannelClient, type ContextBarItem } from '../slack-client/code-channel-client.js';
import { isRetryableSlackError } from '../slack-client/slack-retry.js';
import type { SlackPoster } from '../slack-client/slack-poster.js';
import type { CodeChannels } from '../tasks/code-channels.js';
import type { TaskEvent } from '../tasks/protocol.js';
import type { TaskStore } from '../tasks/task-store.js';
import type { CardState } from './card-state.js';
import { sessionStatusOf, type SessionStatus } from './session-surface.js';
import type { ThreadOutput } from './task-view.js';

interface Where {
  channel: string;
  threadTs: string;
}

type Pending = { type: 'event'; event: TaskEvent } | { type: 'output'; output: ThreadOutput };

/** What the context bar says of a status. */
const STATUS_LABEL: Partial<Record<CardState['status'], string>> = {
  queued: 'Queued',
  starting: 'Starting',
  working: 'Working',
  waiting_for_approval: 'Waiting for approval',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Stopped: reply to carry on',
};

/**
 * A task's Slack Code channel (config slack.codeChannels), one more reader of the task's
 * events beside SessionSurface and StreamSurface, fed by the same TaskRenderer. The channel is
 * created once from the thread's root message (`session_id` = task id, so a retry or another
 * renderer gets the same channel) and linked to the task in Redis, so a message, a button or a
 * native Stop there reaches the task as in the thread. It shows:
 * - the context bar: repo, branch, the pull request (link and state) and the task's status;
 * - the session status (`processing` while a turn works: Slack's Stop) and title (the task's);
 * - the thread's messages (narration not streamed, approvals and questions with their buttons,
 *   the summary, marked as the session's summary);
 * - a `diff` view after each turn that changed something, and a `pull_request` view.
 *
 * The thread is the fallback that always works: no call here ever throws into the renderer. A
 * channel that cannot be created (an older workspace, a missing scope) turns the surface off
 * for the task; a create that failed in a way a retry can fix (5xx, connection) is tried again
 * with the next event (the same `session_id`: one channel however often); any other failure
 * is logged and the next change tries again. Messages here are
 * best effort (a renderer that takes over does not repeat what its predecessor posted here).
 */
export class CodeChannelSurface {
  private readonly client: CodeChannelClient;
  private channel?: string;
  private off = false;
  private pending: Pending[] = [];
  private shown = { bar: '', status: undefined as SessionStatus | undefined, title: '' };
  private pullRequest?: { number: number; url: string; state: 'open' | 'merged' | 'closed' };
  private baseBranch = '';

  constructor(
    private readonly taskId: string,
    private readonly deps: { poster: SlackPoster; store: TaskStore; codeChannels: CodeChannels; logger: Logger },
  ) {
    this.client = new CodeChannelClient(deps.poster);
  }

  /** An event to show once the channel is there (in order with the outputs). */
  event(event: TaskEvent): void {
    if (!this.off) this.pending.push({ type: 'event', event });
  }

  /** A thread output that was delivered: its copy goes to the channel. */
  output(output: ThreadOutput): void {
    if (!this.off) this.pending.push({ type: 'output', output });
  }

  /**
   * Opens the channel when needed, then brings it up to date with `state` (a snapshot: card
   * states are never changed in place) and what is pending. Runs behind the thread, never in
   * its way: the work is chained (in order) and this returns at once, so a slow or rate-limited
   * code channel never delays the thread. `idle` resolves once the chain has run.
   */
  flush(where: Where, state: CardState): void {
    const items = this.pending;
    this.pending = [];
    this.chain = this.chain.then(() => this.bringUpToDate(where, state, items));
  }

  /** Resolves once everything handed over so far has been shown (or has failed). */
  idle(): Promise<void> {
    return this.chain;
  }

  private chain: Promise<void> = Promise.resolve();

  private async bringUpToDate(where: Where, state: CardState, items: Pending[]): Promise<void> {
    if (this.off) return;
    // Before the task's facts are known there is nothing to name the channel by: keep the items.
    if (!state.prompt) return void this.pending.unshift(...items);
    if (!(await this.open(where, state))) {
      // Slack failed in a way a later attempt can fix: the next flush tries again, with these.
      if (!this.off) this.pending.unshift(...items);
      return;
    }
    const channel = this.channel!;
    for (const item of items) {
      await this.safely(item.type === 'event' ? `show ${item.event.type}` : `copy ${item.output.type}`, () => (item.type === 'event' ? this.showEvent(channel, item.event, state) : this.copy(channel, item.output)));
    }
    await this.safely('context bar', () => this.showBar(channel, state));
    await this.safely('session status', () => this.showSession(channel, state));
  }

  private async open(where: Where, state: CardState): Promise<boolean> {
    if (this.channel) return true;
    try {
      const record = await this.deps.store.getTask(this.taskId);
      this.baseBranch = record?.baseBranch ?? '';
      const known = await this.deps.codeChannels.channelOf(this.taskId);
      this.channel = known ?? (await this.client.create({ originChannel: where.channel, originTs: where.threadTs, sessionId: this.taskId, name: record?.prompt ?? state.prompt }));
      if (!known) await this.deps.codeChannels.link(this.taskId, this.channel);
      // The title the channel was created with is the task's first prompt.
      this.shown.title = record?.prompt ?? state.prompt;
      return true;
    } catch (e) {
      if (isRetryableSlackError(e)) {
        // The channel may have been made with its answer lost: `session_id` returns the same one next time.
        this.deps.logger.warn({ err: e, taskId: this.taskId }, 'could not make the task’s code channel yet; trying again with its next event');
        return false;
      }
      this.off = true;
      this.pending = [];
      this.deps.logger.info({ err: e, taskId: this.taskId }, 'Slack Code channels are not available here; the thread carries on without one');
      return false;
    }
  }

  private async showEvent(channel: string, event: TaskEvent, state: CardState): Promise<void> {
    switch (event.type) {
      case 'turn_summarized': {
        const diff = event.diff && (await this.deps.store.readDiff(this.taskId, event.diff.turn));
        if (diff?.trim()) await this.client.setDiffView(channel, diff, { base: this.baseBranch || 'main', head: event.branch || state.branch });
        return;
      }
      case 'pull_request_opened':
        this.pullRequest = { number: event.number, url: event.url, state: 'open' };
        await this.client.setPullRequestView(channel, event.url);
        return;
      case 'pull_request_updated':
        this.pullRequest = { number: event.number, url: event.url, state: 'open' };
        return;
      case 'pull_request_closed':
        this.pullRequest = { number: event.number, url: event.url, state: event.merged ? 'merged' : 'closed' };
        return;
      default:
        return;
    }
  }

  /** The thread's messages, copied: approvals and questions keep their buttons (a click there is a click in the thread). */
  private async copy(channel: string, output: ThreadOutput): Promise<void> {
    const { poster, codeChannels } = this.deps;
    switch (output.type) {
      case 'post': {
        const ts = await poster.post(this.taskId, channel, output.message, { kind: output.kind, approvalId: output.approval?.approvalId, seq: output.seq });
        const id = output.approval?.approvalId ?? output.question?.questionId;
        if (id) await codeChannels.saveApproval(channel, id, ts);
        return;
      }
      case 'summary': {
        const ts = await poster.post(this.taskId, channel, output.message, { kind: 'summary', seq: output.seq });
        await this.client.setSummaryMessage(channel, ts);
        return;
      }
      case 'settle':
      case 'answered': {
        const ts = await codeChannels.approvalTs(channel, output.type === 'settle' ? output.approvalId : output.questionId);
        if (ts) await poster.update(this.taskId, channel, ts, output.message, output.type === 'settle' ? 'approval' : 'question');
        return;
      }
      case 'react':
        return;
    }
  }

  private async showBar(channel: string, state: CardState): Promise<void> {
    const pr = this.pullRequest ?? (state.pullRequest && { ...state.pullRequest, state: 'open' as const });
    const all: ContextBarItem[] = [
      { key: 'repo', label: state.repo, icon: 'folder' },
      { key: 'branch', label: state.branch, icon: 'branch' },
      ...(pr ? [{ key: 'pull-request', label: `PR #${pr.number} · ${pr.state}`, icon: 'link' as const, url: pr.url }] : []),
      { key: 'status', label: STATUS_LABEL[state.status] ?? state.status.replace(/_/g, ' '), icon: 'terminal' },
    ];
    const items = all.filter((i) => i.label);
    const bar = JSON.stringify(items);
    if (bar === this.shown.bar) return;
    await this.client.setContextBar(channel, items);
    this.shown.bar = bar;
  }

  private async showSession(channel: string, state: CardState): Promise<void> {
    const status = sessionStatusOf(state);
    if (status !== undefined && status !== this.shown.status) {
      // The channel's session exists from its creation: title and initiator would be ignored.
      await this.deps.poster.setSessionStatus(channel, undefined, status, { title: state.prompt });
      this.shown.status = status;
    }
    if (state.prompt && state.prompt !== this.shown.title) {
      await this.deps.poster.renameSession(channel, undefined, state.prompt);
      this.shown.title = state.prompt;
    }
  }

  private async safely(what: string, call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (e) {
      this.deps.logger.warn({ err: e, taskId: this.taskId, what }, 'could not update the task’s code channel; the thread has it all');
    }
  }
}
