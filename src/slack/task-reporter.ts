import {
  approvalAttachment,
  renderApprovalPrompt,
  renderBranchPushed,
  renderApprovalSettled,
  renderCancelled,
  renderCommandLog,
  renderDiffFallback,
  renderFailure,
  renderInterrupted,
  renderNarration,
  renderSummary,
  COMMAND_LOG_MAX,
  type CommandResult,
} from '../blocks/index.js';
import type { Logger } from '../logger.js';
import type { MessageRefs } from '../tasks/message-refs.js';
import type { TaskEvent } from '../tasks/protocol.js';
import type { TaskRecord } from '../tasks/task-record.js';
import { applyEvent, initialCardState, type CardState } from './card-state.js';
import { CardUpdater } from './card-updater.js';
import type { SlackPoster, SlackMessage, TaskMessageKind } from './slack-poster.js';
import { testOutcome } from './test-outcome.js';

/** A command batch is posted at the latest this long after its first command finished. */
const COMMAND_FLUSH_MS = 20_000;

/**
 * Renders one task's events into its Slack thread: the status card (edited in place, coalesced,
 * within the shared budget), narration, grouped command logs, approval prompts, steering
 * reactions, and the final summary with the diff. Thread messages are posted one at a time in
 * event order. `finish` delivers everything still pending, the final card included.
 */
export class TaskReporter {
  private state: CardState;
  private readonly card: CardUpdater;
  private chain: Promise<void> = Promise.resolve();
  private commands: CommandResult[] = [];
  private commandTimer?: NodeJS.Timeout;
  /** The newest narration is held back one event: if it is the final summary, it is not posted twice. */
  private pendingNarration?: string;
  private lastTestRun?: CommandResult;
  private readonly approvals = new Map<string, Extract<TaskEvent, { type: 'approval_requested' }>>();

  constructor(
    private readonly task: TaskRecord,
    private readonly poster: SlackPoster,
    private readonly refs: MessageRefs,
    private readonly logger: Logger,
    /** Who may decide approvals (the owner and the repo's approvers), named on the prompt. */
    private readonly deciders: string[] = [task.owner],
  ) {
    this.state = initialCardState(task);
    this.card = new CardUpdater(task, poster, logger);
  }

  get current(): CardState {
    return this.state;
  }

  /** Shows a status before any event exists (starting, a follow-up turn). */
  setStatus(status: CardState['status']): void {
    this.state = { ...this.state, status };
    this.card.show(this.state);
  }

  handle(event: TaskEvent): void {
    const before = this.state;
    this.state = applyEvent(this.state, event);
    if (this.state === before) return;
    this.card.show(this.state);
    if (event.type !== 'token_usage' && event.type !== 'task_completed') this.flushNarration();
    switch (event.type) {
      case 'agent_message':
        this.flushCommands();
        this.pendingNarration = event.text;
        break;
      case 'command_finished':
        this.commands.push(event);
        if (testOutcome([event])) this.lastTestRun = event;
        if (this.commands.length >= COMMAND_LOG_MAX) this.flushCommands();
        else this.commandTimer ??= setTimeout(() => this.flushCommands(), COMMAND_FLUSH_MS);
        break;
      case 'approval_requested':
        this.flushCommands();
        this.approvals.set(event.approvalId, event);
        this.enqueue(async () => {
          // A command the prompt cannot show whole goes up as a file first, so it is there before anyone can click.
          const file = approvalAttachment(event);
          if (file) await this.poster.uploadFile(this.task.channel, this.task.threadTs!, file.filename, file.content, file.title);
          const ts = await this.postThread(renderApprovalPrompt({ ...event, taskId: this.task.id, deciders: this.deciders }), 'approval', event.approvalId);
          await this.refs.saveApproval({ approvalId: event.approvalId, taskId: this.task.id, channel: this.task.channel, ts, kind: event.kind, command: event.command, diffStat: event.diffStat, expiresAt: event.expiresAt });
        });
        break;
      case 'approval_resolved':
        this.enqueue(() => this.settleApproval(event));
        break;
      case 'steering_applied':
        this.enqueue(async () => {
          for (const opId of event.opIds) {
            const ref = await this.refs.getSteer(opId);
            if (ref) await this.poster.react(ref.channel, ref.ts, 'white_check_mark');
          }
        });
        break;
      case 'branch_pushed':
        this.enqueue(() => this.postThread(renderBranchPushed(event), 'notice').then(() => undefined));
        break;
      case 'task_interrupted':
        this.flushCommands();
        this.enqueue(() => this.postThread(renderInterrupted({ by: event.by }), 'interrupted').then(() => undefined));
        break;
      case 'task_completed':
        this.flushCommands();
        if (this.pendingNarration !== undefined && this.pendingNarration.trim() !== event.summary.trim()) this.flushNarration();
        this.pendingNarration = undefined;
        break;
      case 'task_failed':
        this.flushCommands();
        this.enqueue(() => this.postThread(renderFailure({ code: event.code, message: event.message, repo: this.task.repo, branch: this.state.branch }), 'failure').then(() => undefined));
        break;
      case 'task_cancelled':
        this.flushCommands();
        this.enqueue(() => this.postThread(renderCancelled({ by: event.by, repo: this.task.repo, branch: this.state.branch }), 'cancelled').then(() => undefined));
        break;
      default:
        break;
    }
  }

  /**
   * Posts the summary of a completed turn and uploads its diff (when there is one) into the
   * thread. Call after the `task_completed` event was handled.
   */
  summarize(event: Extract<TaskEvent, { type: 'task_completed' }>, diff: string | undefined): void {
    const tests = this.lastTestRun ? testOutcome([this.lastTestRun]) : undefined;
    const elapsedMs = this.state.startedAtMs && this.state.endedAtMs ? this.state.endedAtMs - this.state.startedAtMs : undefined;
    this.enqueue(async () => {
      await this.postThread(
        renderSummary({ summary: event.summary, diffStat: event.diffStat, branch: event.branch, commit: event.commit, repo: this.task.repo, owner: this.task.owner, tests, budget: event.budget, elapsedMs, usage: this.state.usage }),
        'summary',
      );
      if (diff && diff.trim()) {
        const name = `codex-${this.task.id}${this.state.turn > 1 ? `-turn${this.state.turn}` : ''}.diff`;
        await this.poster.uploadFile(this.task.channel, this.task.threadTs!, name, diff, `Diff of ${event.branch}`).catch(async (e: unknown) => {
          this.logger.warn({ err: e }, 'could not upload the diff; posting it as a message');
          await this.postThread(renderDiffFallback({ diff, branch: event.branch }), 'summary');
        });
      }
    });
  }

  /** Delivers everything pending (thread messages, then the final card) and stops the card loop. */
  async finish(): Promise<void> {
    this.flushNarration();
    this.flushCommands();
    await this.chain;
    await this.card.finish(this.state);
  }

  private flushNarration(): void {
    const text = this.pendingNarration;
    this.pendingNarration = undefined;
    if (text !== undefined && text.trim() !== '') this.enqueue(() => this.postThread(renderNarration({ text }), 'narration').then(() => undefined));
  }

  private flushCommands(): void {
    if (this.commandTimer) clearTimeout(this.commandTimer);
    this.commandTimer = undefined;
    if (this.commands.length === 0) return;
    const commands = this.commands;
    this.commands = [];
    this.enqueue(() => this.postThread(renderCommandLog({ commands }), 'commands').then(() => undefined));
  }

  private async settleApproval(event: Extract<TaskEvent, { type: 'approval_resolved' }>): Promise<void> {
    const ref = await this.refs.getApproval(event.approvalId);
    const asked = this.approvals.get(event.approvalId);
    if (!ref) return;
    // Whatever a click already showed, the agent's event is the final word (e.g. a timeout that won the race).
    await this.refs.claimDecision(event.approvalId, event.by ?? 'timeout');
    const message = renderApprovalSettled({ kind: ref.kind, command: ref.command ?? asked?.command, diffStat: ref.diffStat, decision: event.decision, by: event.by, at: event.at, timedOut: event.timedOut });
    await this.poster.update(this.task.id, ref.channel, ref.ts, message, 'approval');
  }

  private postThread(message: SlackMessage, kind: TaskMessageKind, approvalId?: string): Promise<string> {
    return this.poster.post(this.task.id, this.task.channel, message, { threadTs: this.task.threadTs, kind, approvalId });
  }

  /** Thread messages go out one at a time, in event order; one failure does not stop the rest. */
  private enqueue(work: () => Promise<unknown>): void {
    this.chain = this.chain.then(work).then(
      () => undefined,
      (e: unknown) => this.logger.warn({ err: e }, 'could not post to the task thread'),
    );
  }
}
