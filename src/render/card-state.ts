import type { DiffStat, PlanStep, TaskEvent, TokenUsage } from '../tasks/protocol.js';
import type { TaskStatus } from '../tasks/task-record.js';

/**
 * What the status card shows, folded from the task record and its events. Pure: the reporter
 * feeds events in order and renders the newest state, so a backlog of events never becomes a
 * backlog of edits.
 */
export interface CardState {
  taskId: string;
  owner: string;
  prompt: string;
  repo: string;
  branch: string;
  /** The model asked for. */
  model: string;
  /** The model that served the latest response (token_usage), when the service named one. */
  servedBy?: string;
  turn: number;
  status: TaskStatus;
  /** What the agent is doing now: the running command, or the plan's step in progress. */
  currentStep?: string;
  plan: PlanStep[];
  steeringPending: number;
  usage: TokenUsage;
  startedAtMs?: number;
  endedAtMs?: number;
  commandsRun: number;
  diffStat?: DiffStat;
  error?: { code: string; message: string };
  budget?: 'steps' | 'time' | 'tokens';
  /** The model API is failing and the turn waits to try again (until a response or the end). */
  modelRetry?: { attempt: number; retryInMs: number; reason: string };
  /** The task's open pull request (kept across turns). */
  pullRequest?: { number: number; url: string };
  /** The latest turn undone (Undo), shown until the next turn starts. */
  undoneTurn?: number;
  lastSeq: number;
  /** The automation that started the task. */
  automation?: { id: string; cron: string };
  /** The card before a `turn_queued`, until that turn starts (see `turn_withdrawn`). */
  previous?: Omit<CardState, 'previous'>;
}

/**
 * The state before any event: a blank card for `taskId`. `task_created` fills in what the task
 * is; every card is the fold of its task's events over this (cardStateOf).
 */
export function initialCardState(taskId: string): CardState {
  return {
    taskId,
    owner: '',
    prompt: '',
    repo: '',
    branch: '',
    model: '',
    turn: 1,
    status: 'queued',
    plan: [],
    steeringPending: 0,
    usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
    commandsRun: 0,
    lastSeq: 0,
  };
}

/** The card of a task as its events tell it. */
export function cardStateOf(taskId: string, events: readonly TaskEvent[]): CardState {
  return events.reduce(applyEvent, initialCardState(taskId));
}

/** Folds one event into the state. Events at or below the last seen sequence are ignored. */
export function applyEvent(state: CardState, event: TaskEvent): CardState {
  if (event.seq <= state.lastSeq) return state;
  // Any response of the model (or the turn's end) ends a "model unavailable" wait.
  const s: CardState = { ...state, lastSeq: event.seq, ...(RETRY_KEPT.has(event.type) ? {} : { modelRetry: undefined }) };
  const at = Date.parse(event.at);
  switch (event.type) {
    case 'task_created':
      return { ...s, ...event.facts, status: 'queued' };
    case 'turn_queued': {
      // A new turn starts from a clean card; `previous` lets a withdrawn turn put the old one back.
      const { previous: _previous, ...before } = state;
      return { ...initialCardState(s.taskId), owner: s.owner, repo: s.repo, branch: s.branch, model: s.model, pullRequest: s.pullRequest, lastSeq: s.lastSeq, prompt: event.prompt, turn: event.turn, status: 'queued', previous: before };
    }
    case 'turn_withdrawn':
      return s.previous && s.turn === event.turn ? { ...s.previous, lastSeq: s.lastSeq } : s;
    case 'turn_waiting':
      return { ...s, status: 'queued', currentStep: event.place === 1 ? 'Waiting for a free slot: next in line' : `Waiting for a free slot: number ${event.place} in line` };
    case 'turn_starting':
      return { ...s, status: 'starting', turn: event.turn, startedAtMs: s.startedAtMs ?? at, endedAtMs: undefined, error: undefined, previous: undefined, currentStep: undefined };
    case 'task_started':
      return { ...s, status: 'working', model: event.model, branch: event.branch, turn: event.turn, startedAtMs: s.startedAtMs ?? at, endedAtMs: undefined, currentStep: undefined };
    case 'plan_updated': {
      const active = event.steps.find((p) => p.status === 'in_progress');
      return { ...s, plan: event.steps, currentStep: active?.step ?? s.currentStep };
    }
    case 'command_started':
      return { ...s, currentStep: `Running \`${firstLine(event.command)}\`` };
    case 'web_search':
      return { ...s, currentStep: `Searching the web: ${firstLine(event.detail)}` };
    case 'command_finished': {
      const active = s.plan.find((p) => p.status === 'in_progress');
      return { ...s, commandsRun: s.commandsRun + 1, currentStep: active?.step };
    }
    case 'approval_requested':
      return { ...s, status: 'waiting_for_approval', currentStep: 'Waiting for approval' };
    case 'approval_resolved':
      return { ...s, status: s.status === 'waiting_for_approval' ? 'working' : s.status, currentStep: undefined };
    case 'question_asked':
      return { ...s, status: 'waiting_for_answer', currentStep: `Waiting for your answer: ${firstLine(event.question)}` };
    case 'question_answered':
      return { ...s, status: s.status === 'waiting_for_answer' ? 'working' : s.status, currentStep: undefined };
    case 'steering_received':
      return { ...s, steeringPending: s.steeringPending + 1, status: s.status === 'interrupted' ? 'working' : s.status };
    case 'steering_applied':
      return { ...s, steeringPending: Math.max(0, s.steeringPending - event.opIds.length) };
    case 'model_retrying':
      return { ...s, modelRetry: { attempt: event.attempt, retryInMs: event.retryInMs, reason: event.reason } };
    case 'token_usage':
      return { ...s, usage: event.usage, servedBy: event.model ?? s.servedBy };
    case 'task_interrupted':
      return { ...s, status: 'interrupted', currentStep: 'Stopped: reply in the thread to say what to do next' };
    case 'task_completed':
      return { ...s, status: 'done', diffStat: event.diffStat, budget: event.budget, endedAtMs: at, currentStep: undefined, steeringPending: 0 };
    case 'task_failed':
      return { ...s, status: 'failed', error: { code: event.code, message: event.message }, endedAtMs: at, currentStep: undefined, steeringPending: 0 };
    case 'task_cancelled':
      return { ...s, status: 'cancelled', endedAtMs: at, currentStep: undefined, steeringPending: 0 };
    case 'pull_request_opened':
      return { ...s, pullRequest: { number: event.number, url: event.url } };
    case 'pull_request_closed':
      return { ...s, pullRequest: undefined };
    case 'branch_reset':
      return { ...s, undoneTurn: event.turn };
    default:
      return s;
  }
}

/** Events that say nothing about the model answering again: a retry wait outlives them. */
const RETRY_KEPT = new Set<TaskEvent['type']>(['model_retrying', 'steering_received']);

function firstLine(command: string): string {
  const line = command.split('\n')[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 77)}…` : line;
}
