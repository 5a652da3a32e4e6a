import {
  COMMAND_LOG_MAX,
  renderApprovalPrompt,
  renderApprovalSettled,
  renderBranchPushed,
  renderBranchReset,
  renderBranchResetFailed,
  renderPullRequestClosed,
  renderPullRequestFailed,
  renderPullRequestOpened,
  renderPullRequestUpdated,
  renderReview,
  renderCancelled,
  renderCommandLog,
  renderFailure,
  renderInterrupted,
  renderNarration,
  renderQuestion,
  renderQuestionAnswered,
  renderSkillInvalid,
  renderContextCompacted,
  renderSetupRestored,
  renderSummary,
  type CommandResult,
  type LogEntry,
  type SlackMessage,
  type TaskMessageKind,
} from '../blocks/index.js';
import type { TaskEvent } from '../tasks/protocol.js';
import { redactDeep } from '../util/redact.js';
import { applyEvent, initialCardState, type CardState } from './card-state.js';
import { testOutcome } from './test-outcome.js';

/** A command batch is posted at the latest this long after its first command finished. */
export const COMMAND_FLUSH_MS = 20_000;

type Event<T extends TaskEvent['type']> = Extract<TaskEvent, { type: T }>;

/** One line of a command log with the event it came from. */
export type CommandLogEntry = LogEntry & { seq: number; at: string };

/**
 * What the thread should receive for the events seen so far, in order. `seq` is the newest
 * event whose content the output carries: once it is delivered, everything up to `seq` is.
 */
export type ThreadOutput =
  | { type: 'post'; seq: number; kind: TaskMessageKind; message: SlackMessage; approval?: Event<'approval_requested'>; question?: Event<'question_asked'>; text?: string; commands?: CommandLogEntry[] }
  | { type: 'summary'; seq: number; message: SlackMessage; diff?: { turn: number; filename: string; branch: string } }
  | { type: 'settle'; seq: number; approvalId: string; message: SlackMessage; by?: string }
  | { type: 'answered'; seq: number; questionId: string; message: SlackMessage; by?: string }
  | { type: 'react'; seq: number; opIds: string[] };

/**
 * The pure core of a task's Slack view: folds the task's events, in order, into the status
 * card's state and the thread's outputs (narration, grouped command logs, approval prompts and
 * their settlement, steering reactions, the summary). Nothing here reads a clock or Slack:
 * command batches close on the events' own times, so the same events always give the same
 * thread, whether rendered live or rebuilt from Redis afterwards (`replayTask`).
 *
 * Every event's text is redacted before anything cuts it for display.
 */
export class TaskView {
  private cardState: CardState;
  /** The command batch being held: finished commands and web searches, in order. */
  private commands: CommandLogEntry[] = [];
  /** The newest narration is held back one event: if it is the final summary, it is not posted twice. */
  private narration?: Event<'agent_message'>;
  private lastTestRun?: CommandResult;
  private readonly approvals = new Map<string, Event<'approval_requested'>>();
  private readonly questions = new Map<string, Event<'question_asked'>>();
  /** Skill problems already shown (each turn reports them again; the thread shows each once). */
  private readonly skillProblems = new Set<string>();
  /** This turn's summary went out with `turn_summarized`. */
  private summarized = false;

  constructor(
    taskId: string,
    /** Who may decide the task's approvals (the owner and the repo's approvers), named on approval prompts. */
    private readonly deciders: (task: { repo: string; owner: string }) => string[] = (t) => [t.owner],
  ) {
    this.cardState = initialCardState(taskId);
  }

  get state(): CardState {
    return this.cardState;
  }

  /** When the held command batch must be posted if no newer event comes first (epoch ms). */
  dueAt(): number | undefined {
    return this.commands[0] ? Date.parse(this.commands[0].at) + COMMAND_FLUSH_MS : undefined;
  }

  /** Outputs for one event (none for an event already seen). */
  apply(raw: TaskEvent): ThreadOutput[] {
    if (raw.seq <= this.cardState.lastSeq) return [];
    const event = redactDeep(raw);
    const out: ThreadOutput[] = [];
    const due = this.dueAt();
    if (due !== undefined && Date.parse(event.at) >= due) this.flushCommands(out);
    this.cardState = applyEvent(this.cardState, event);
    if (event.type !== 'token_usage' && event.type !== 'task_completed' && event.type !== 'turn_summarized') this.flushNarration(out);
    const s = this.cardState;
    switch (event.type) {
      case 'agent_message':
        this.flushCommands(out);
        this.narration = event;
        break;
      case 'command_finished':
        this.commands.push(event);
        if (testOutcome([event])) this.lastTestRun = event;
        if (this.commands.length >= COMMAND_LOG_MAX) this.flushCommands(out);
        break;
      case 'web_search':
        this.commands.push({ action: event.action, detail: event.detail, ok: event.ok, seq: event.seq, at: event.at });
        if (this.commands.length >= COMMAND_LOG_MAX) this.flushCommands(out);
        break;
      case 'approval_requested':
        this.flushCommands(out);
        this.approvals.set(event.approvalId, event);
        out.push({ type: 'post', seq: event.seq, kind: 'approval', approval: event, message: renderApprovalPrompt({ ...event, taskId: s.taskId, deciders: this.deciders(s) }) });
        break;
      case 'approval_resolved': {
        const asked = this.approvals.get(event.approvalId);
        const message = renderApprovalSettled({ kind: asked?.kind ?? 'command', command: asked?.command, diffStat: asked?.diffStat, decision: event.decision, by: event.by, at: event.at, timedOut: event.timedOut });
        out.push({ type: 'settle', seq: event.seq, approvalId: event.approvalId, message, by: event.by });
        break;
      }
      case 'question_asked':
        this.flushCommands(out);
        this.questions.set(event.questionId, event);
        out.push({ type: 'post', seq: event.seq, kind: 'question', question: event, message: renderQuestion({ ...event, taskId: s.taskId }) });
        break;
      case 'question_answered': {
        const message = renderQuestionAnswered({ question: this.questions.get(event.questionId)?.question ?? '', answer: event.answer, by: event.by, at: event.at, timedOut: event.timedOut });
        out.push({ type: 'answered', seq: event.seq, questionId: event.questionId, message, by: event.by });
        break;
      }
      case 'steering_applied':
        out.push({ type: 'react', seq: event.seq, opIds: event.opIds });
        break;
      case 'skill_invalid': {
        const key = `${event.path}\n${event.problem}`;
        if (this.skillProblems.has(key)) break;
        this.skillProblems.add(key);
        this.notice(out, event.seq, renderSkillInvalid(event));
        break;
      }
      case 'context_compacted':
      case 'setup_restored':
      case 'branch_pushed':
      case 'pull_request_opened':
      case 'pull_request_updated':
      case 'pull_request_closed':
      case 'pull_request_failed':
      case 'branch_reset':
      case 'branch_reset_failed':
        this.notice(out, event.seq, noticeMessage(event));
        break;
      case 'review_completed':
        this.notice(out, event.seq, renderReview({ ...event, taskId: s.taskId }));
        break;
      case 'task_interrupted':
        this.flushCommands(out);
        out.push({ type: 'post', seq: event.seq, kind: 'interrupted', message: renderInterrupted({ by: event.by }) });
        break;
      case 'turn_summarized':
        this.flushCommands(out);
        if (this.narration && this.narration.text.trim() !== event.summary.trim()) this.flushNarration(out);
        this.narration = undefined;
        this.summarized = true;
        out.push(this.summary(event));
        break;
      case 'task_completed':
        this.flushCommands(out);
        if (this.narration && this.narration.text.trim() !== event.summary.trim()) this.flushNarration(out);
        this.narration = undefined;
        // Streams from before `turn_summarized` carry the summary here.
        if (!this.summarized) out.push(this.summary(event));
        this.summarized = false;
        break;
      case 'task_failed':
        this.flushCommands(out);
        out.push({ type: 'post', seq: event.seq, kind: 'failure', message: renderFailure({ code: event.code, message: event.message, repo: s.repo, branch: this.ranBefore() ? s.branch : undefined }) });
        break;
      case 'task_cancelled':
        this.flushCommands(out);
        out.push({ type: 'post', seq: event.seq, kind: 'cancelled', message: renderCancelled({ by: event.by, repo: s.repo, branch: this.ranBefore() ? s.branch : undefined }) });
        break;
      case 'turn_queued':
        this.lastTestRun = undefined;
        this.summarized = false;
        break;
      default:
        break;
    }
    return out;
  }

  /** Posts the held command batch once it is due and no newer event has come (live rendering only). */
  flushDue(now: number): ThreadOutput[] {
    const due = this.dueAt();
    const out: ThreadOutput[] = [];
    if (due !== undefined && now >= due) this.flushCommands(out);
    return out;
  }

  /** Everything still held (the end of the stream). */
  flush(): ThreadOutput[] {
    const out: ThreadOutput[] = [];
    this.flushNarration(out);
    this.flushCommands(out);
    return out;
  }

  /** Forgets held output: a renderer taking over knows it was delivered (see TaskRenderer). */
  dropHeld(): void {
    this.commands = [];
    this.narration = undefined;
  }

  /** The task has run before (its branch exists): a turn started, or this is a follow-up. */
  private ranBefore(): boolean {
    return this.cardState.startedAtMs !== undefined || this.cardState.turn > 1;
  }

  private summary(event: Event<'task_completed' | 'turn_summarized'>): ThreadOutput {
    const s = this.cardState;
    const tests = this.lastTestRun ? testOutcome([this.lastTestRun]) : undefined;
    const end = s.endedAtMs ?? Date.parse(event.at);
    const elapsedMs = s.startedAtMs ? end - s.startedAtMs : undefined;
    // A turn that changed files offers Undo, and on a code host a pull request unless one is open.
    const delivery = event.commit ? { taskId: s.taskId, turn: s.turn, openPullRequest: event.codeHost !== undefined && !s.pullRequest && !('autoPullRequest' in event && event.autoPullRequest), undo: true, pullRequest: s.pullRequest } : undefined;
    const message = renderSummary({ summary: event.summary, diffStat: event.diffStat, branch: event.branch, commit: event.commit, repo: s.repo, owner: s.owner, tests, budget: event.budget, elapsedMs, usage: s.usage, delivery });
    const diff = event.diff && event.diff.bytes > 0 ? { turn: event.diff.turn, branch: event.branch, filename: `codex-${s.taskId}${event.diff.turn > 1 ? `-turn${event.diff.turn}` : ''}.diff` } : undefined;
    return { type: 'summary', seq: event.seq, message, diff };
  }

  /** A notice in the thread, after the commands held so far. */
  private notice(out: ThreadOutput[], seq: number, message: SlackMessage): void {
    this.flushCommands(out);
    out.push({ type: 'post', seq, kind: 'notice', message });
  }

  private flushNarration(out: ThreadOutput[]): void {
    const n = this.narration;
    this.narration = undefined;
    if (n && n.text.trim() !== '') out.push({ type: 'post', seq: n.seq, kind: 'narration', message: renderNarration({ text: n.text }), text: n.text });
  }

  private flushCommands(out: ThreadOutput[]): void {
    if (this.commands.length === 0) return;
    const commands = this.commands;
    this.commands = [];
    out.push({ type: 'post', seq: commands.at(-1)!.seq, kind: 'commands', message: renderCommandLog({ commands }), commands });
  }
}

/** Events shown as one notice each in the thread. */
type NoticeEvent = Event<'context_compacted' | 'setup_restored' | 'branch_pushed' | 'pull_request_opened' | 'pull_request_updated' | 'pull_request_closed' | 'pull_request_failed' | 'branch_reset' | 'branch_reset_failed'>;

const NOTICE_MESSAGES: { [K in NoticeEvent['type']]: (event: Extract<NoticeEvent, { type: K }>) => SlackMessage } = {
  context_compacted: renderContextCompacted,
  setup_restored: renderSetupRestored,
  branch_pushed: renderBranchPushed,
  pull_request_opened: renderPullRequestOpened,
  pull_request_updated: renderPullRequestUpdated,
  pull_request_closed: renderPullRequestClosed,
  pull_request_failed: renderPullRequestFailed,
  branch_reset: renderBranchReset,
  branch_reset_failed: renderBranchResetFailed,
};

function noticeMessage(event: NoticeEvent): SlackMessage {
  return (NOTICE_MESSAGES[event.type] as (e: NoticeEvent) => SlackMessage)(event);
}

/**
 * Rebuilds a task's card and thread from its stored events alone: what a renderer that saw
 * them all would have sent. Used to check live rendering and by any later reader.
 */
export function replayTask(taskId: string, events: readonly TaskEvent[], deciders?: (task: { repo: string; owner: string }) => string[]): { state: CardState; outputs: ThreadOutput[] } {
  const view = new TaskView(taskId, deciders);
  const outputs = events.flatMap((e) => view.apply(e));
  outputs.push(...view.flush());
  return { state: view.state, outputs };
}
