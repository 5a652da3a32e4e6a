import { approvalAttachment, renderDiffFallback } from '../blocks/index.js';
import type { Logger } from '../logger.js';
import type { SlackPoster } from '../slack-client/slack-poster.js';
import { isRetryableSlackError, SLACK_DELIVERY_ATTEMPTS, slackBackoff } from '../slack-client/slack-retry.js';
import type { CodeChannels } from '../tasks/code-channels.js';
import type { MessageRefs } from '../tasks/message-refs.js';
import type { RenderProgress } from '../tasks/render-progress.js';
import { FINAL_STATUSES } from '../tasks/task-record.js';
import type { TaskStore } from '../tasks/task-store.js';
import { CardUpdater } from './card-updater.js';
import { CodeChannelSurface } from './code-channel-surface.js';
import { SessionSurface, sessionStatusOf } from './session-surface.js';
import { StreamSurface } from './stream-surface.js';
import { TaskView, type ThreadOutput } from './task-view.js';

export interface RendererDeps {
  store: TaskStore;
  progress: RenderProgress;
  refs: MessageRefs;
  /** Tasks' Slack Code channels (used when config slack.codeChannels is on). */
  codeChannels: CodeChannels;
  poster: SlackPoster;
  logger: Logger;
  /** Who may decide a task's approvals, named on its approval prompts (access.decidersOf). */
  deciders: (task: { repo: string; owner: string; channel: string }) => string[];
  /** Hears each change of a task's status (the App Homes that show it refresh). */
  onStatus?: (task: { taskId: string; repo: string; owner: string; channel: string }) => void;
}

interface Where {
  channel: string;
  threadTs: string;
  cardTs: string;
}

/**
 * Renders one task's event stream into its Slack thread: a reader of the events in Redis, like
 * any other. It starts after the last event a previous renderer delivered (RenderProgress), so
 * a renderer that takes over from a dead process neither repeats nor skips a message; it
 * delivers outputs one at a time in event order and records its progress after each; it ends
 * once the task's final event is delivered and nothing newer is in the stream.
 *
 * Only one renderer per task runs at a time: RenderHub holds the task's lease around it.
 */
export class TaskRenderer {
  private readonly view: TaskView;
  private card?: CardUpdater;
  private where?: Where;
  private lastEntry = '-';
  private wake?: () => void;
  private poked = true;
  private stopped = false;
  private readonly stopping = new AbortController();
  private dueTimer?: NodeJS.Timeout;
  private shownStatus?: string;
  /** The task's channel (from its record, read when the renderer starts). */
  private channel = '';
  /** The newest event delivered before this renderer started. */
  private caughtUp = 0;

  private readonly session: SessionSurface;
  private readonly stream: StreamSurface;
  private readonly codeChannel?: CodeChannelSurface;

  constructor(
    readonly taskId: string,
    private readonly deps: RendererDeps,
  ) {
    this.view = new TaskView(taskId, (t) => deps.deciders({ ...t, channel: this.channel }));
    this.session = new SessionSurface(deps.poster, deps.logger);
    this.stream = new StreamSurface(taskId, deps.poster, deps.logger, (channel, ts) => deps.refs.streamStopped(channel, ts));
    if (deps.poster.settings.codeChannels) this.codeChannel = new CodeChannelSurface(taskId, deps);
  }

  /** New events may be in the stream. */
  poke(): void {
    this.poked = true;
    this.wake?.();
  }

  /** Stops after the output in hand (another process will carry on from the recorded progress). */
  stop(): void {
    this.stopped = true;
    this.stopping.abort();
    this.wake?.();
  }

  /** Renders until the task's turn has ended and everything is delivered (or `stop`). */
  async run(): Promise<void> {
    try {
      const record = await this.deps.store.getTask(this.taskId);
      this.channel = record?.channel ?? '';
      if (!record) {
        // Removed (its card could not be posted): nothing to render, now or later.
        await this.deps.progress.clearPending(this.taskId, await this.deps.progress.lastSeq(this.taskId));
        return;
      }
      await this.catchUp(await this.deps.progress.renderedSeq(this.taskId));
      this.card = new CardUpdater(this.taskId, () => this.where, this.deps.poster, this.deps.logger);
      while (!this.stopped) {
        if (this.poked) {
          this.poked = false;
          const ended = await this.renderNew();
          if (ended) return;
          continue;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      clearTimeout(this.dueTimer);
      if (this.where) await this.stream.end(this.where);
      await this.card?.finish(this.view.state).catch(() => undefined);
    }
  }

  /** Folds what was delivered before this renderer started, without sending anything again. */
  private async catchUp(recorded: number): Promise<void> {
    const rendered = await this.landedInFlight(recorded);
    this.caughtUp = rendered;
    if (rendered === 0) return;
    for (const { id, event } of await this.deps.store.readEventEntries(this.taskId)) {
      if (event.seq > rendered) break;
      this.view.apply(event);
      this.lastEntry = id;
    }
    // Whatever the view holds back now was delivered already: outputs go out in event order.
    this.view.dropHeld();
  }

  /**
   * A renderer that died between posting a message and recording it leaves that message's
   * event as in flight: if the thread holds it (its metadata names the event), it was delivered.
   */
  private async landedInFlight(recorded: number): Promise<number> {
    const inFlight = await this.deps.progress.inFlightSeq(this.taskId);
    if (inFlight <= recorded) return recorded;
    const where = await this.location();
    const landed = where ? await this.deps.poster.threadHasPost(where.channel, where.threadTs, this.taskId, inFlight).catch(() => false) : false;
    if (!landed) return recorded;
    await this.deps.progress.setRendered(this.taskId, inFlight);
    return inFlight;
  }

  /** Renders the events not seen yet; true when the task has ended and all is delivered. */
  private async renderNew(): Promise<boolean> {
    await this.location();
    const entries = await this.deps.store.readEventEntries(this.taskId, this.lastEntry);
    for (const { id, event } of entries) {
      this.lastEntry = id;
      await this.deliverAll(this.view.apply(event));
      this.codeChannel?.event(event);
      // Streamed narration: the working turn's commands and plan as they happen (at least once: see docs/architecture.md).
      if (this.where && sessionStatusOf(this.view.state) === 'processing') await this.stream.event(this.where, this.view.state.owner, event);
      // A turn waiting in the queue is shown before anything newer replaces it on the card.
      if (event.type === 'turn_queued' && event.seq > this.caughtUp) await this.card?.showNow(this.view.state);
      else this.card?.show(this.view.state);
    }
    // A command batch held long enough is posted once no newer event has closed it first.
    await this.deliverAll(this.view.flushDue(Date.now()));
    if (this.where && sessionStatusOf(this.view.state) !== 'processing') await this.stream.end(this.where);
    if (this.where) await this.session.show(this.where, this.view.state);
    if (this.where) this.codeChannel?.flush(this.where, this.view.state);
    if (this.view.state.status !== this.shownStatus) {
      this.shownStatus = this.view.state.status;
      this.deps.onStatus?.({ taskId: this.taskId, repo: this.view.state.repo, owner: this.view.state.owner, channel: this.channel });
    }
    const due = this.view.dueAt();
    clearTimeout(this.dueTimer);
    if (due !== undefined) {
      this.dueTimer = setTimeout(() => this.poke(), Math.max(0, due - Date.now()) + 10);
      this.dueTimer.unref();
    }
    const state = this.view.state;
    if (!FINAL_STATUSES.has(state.status) || this.stopped) return false;
    // The turn has ended: the final card is delivered before the progress says so.
    await this.deliverAll(this.view.flush());
    if (this.where) this.codeChannel?.flush(this.where, state);
    await this.card?.finish(state);
    this.card = undefined;
    await this.deps.progress.setRendered(this.taskId, state.lastSeq);
    return this.deps.progress.clearPending(this.taskId, state.lastSeq);
  }

  private async deliverAll(outputs: ThreadOutput[]): Promise<void> {
    for (const produced of outputs) {
      if (this.stopped) return;
      // The stream takes narration and the commands it carried; what is left is posted as before.
      const output = this.where ? await this.stream.output(this.where, this.view.state.owner, produced) : produced;
      try {
        if (output?.type === 'post' || output?.type === 'summary') await this.deps.progress.setInFlight(this.taskId, output.seq);
        if (output) await this.deliverRetrying(output);
        if (output) this.codeChannel?.output(output);
      } catch (e) {
        // Stopped mid-way (the lease went elsewhere): the next renderer delivers it, once.
        if (this.stopped) return;
        this.deps.logger.warn({ err: e, taskId: this.taskId, output: produced.type }, 'could not post to the task thread');
      }
      // The final event counts as delivered only once the final card is too (see renderNew).
      const cap = FINAL_STATUSES.has(this.view.state.status) ? this.view.state.lastSeq - 1 : Infinity;
      await this.deps.progress.setRendered(this.taskId, Math.min(produced.seq, cap)).catch(() => undefined);
    }
  }

  /**
   * Delivers one output, retrying with backoff while Slack fails in a way a retry can fix (5xx,
   * connection): the outputs after it wait, so the thread keeps its order. A post whose answer
   * was lost may have landed all the same: before posting again, the thread is checked for it
   * (its metadata names the event), so nothing is posted twice.
   */
  private async deliverRetrying(output: ThreadOutput): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (attempt > 1 && (output.type === 'post' || output.type === 'summary') && (await this.landed(output.seq))) return;
        return await this.deliver(output);
      } catch (e) {
        if (this.stopped || !isRetryableSlackError(e) || attempt >= SLACK_DELIVERY_ATTEMPTS) throw e;
        this.deps.logger.warn({ err: e, taskId: this.taskId, output: output.type, attempt }, 'Slack failed; retrying the delivery');
        if (!(await slackBackoff(attempt, this.stopping.signal))) throw e;
      }
    }
  }

  private async landed(seq: number): Promise<boolean> {
    const where = await this.location();
    return where ? this.deps.poster.threadHasPost(where.channel, where.threadTs, this.taskId, seq) : false;
  }

  private async deliver(output: ThreadOutput): Promise<void> {
    const where = await this.location();
    if (!where) return;
    const { poster, refs } = this.deps;
    switch (output.type) {
      case 'post': {
        // A command the prompt cannot show whole goes up as a file first, so it is there before anyone can click.
        const file = output.approval && approvalAttachment(output.approval);
        if (file) await poster.uploadFile(where.channel, where.threadTs, file.filename, file.content, file.title);
        const ts = await poster.post(this.taskId, where.channel, output.message, { threadTs: where.threadTs, kind: output.kind, approvalId: output.approval?.approvalId, seq: output.seq });
        const a = output.approval;
        if (a) await refs.saveApproval({ approvalId: a.approvalId, taskId: this.taskId, channel: where.channel, ts, kind: a.kind, command: a.command, diffStat: a.diffStat, expiresAt: a.expiresAt });
        const q = output.question;
        if (q) await refs.saveQuestion({ questionId: q.questionId, taskId: this.taskId, channel: where.channel, ts, choices: q.choices, expiresAt: q.expiresAt });
        return;
      }
      case 'summary': {
        await poster.post(this.taskId, where.channel, output.message, { threadTs: where.threadTs, kind: 'summary', seq: output.seq });
        const diff = output.diff && (await this.deps.store.readDiff(this.taskId, output.diff.turn));
        if (!output.diff || !diff?.trim()) return;
        const { filename, branch } = output.diff;
        await poster.uploadFile(where.channel, where.threadTs, filename, diff, `Diff of ${branch}`).catch(async (e: unknown) => {
          this.deps.logger.warn({ err: e }, 'could not upload the diff; posting it as a message');
          await poster.post(this.taskId, where.channel, renderDiffFallback({ diff, branch }), { threadTs: where.threadTs, kind: 'summary' });
        });
        return;
      }
      case 'settle': {
        const ref = await refs.getApproval(output.approvalId);
        if (!ref) return;
        // Whatever a click already claimed, the agent's event is the final word (a timeout that won the race).
        await refs.claimDecision(output.approvalId, output.by ?? 'timeout');
        await poster.update(this.taskId, ref.channel, ref.ts, output.message, 'approval');
        return;
      }
      case 'answered': {
        // Later clicks are told the question is closed, whoever (or whatever) closed it.
        await refs.claimAnswer(output.questionId, output.by ?? 'closed');
        const ref = await refs.getQuestion(output.questionId);
        if (ref) await poster.update(this.taskId, ref.channel, ref.ts, output.message, 'question');
        return;
      }
      case 'react':
        for (const opId of output.opIds) {
          const ref = await refs.getSteer(opId);
          if (ref) await poster.react(ref.channel, ref.ts, 'white_check_mark');
        }
        return;
    }
  }

  /** The task's thread and card; read again until the app has posted the card. */
  private async location(): Promise<Where | undefined> {
    if (this.where) return this.where;
    const task = await this.deps.store.getTask(this.taskId);
    if (task?.threadTs && task.cardTs) this.where = { channel: task.channel, threadTs: task.threadTs, cardTs: task.cardTs };
    return this.where;
  }
}
