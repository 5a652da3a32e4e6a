import type { Button, KnownBlock } from '@slack/web-api';
import type { PlanStep, TokenUsage } from '../tasks/protocol.js';
import type { TaskStatus } from '../tasks/task-record.js';
import { actions, button, context, section } from './block-kit.js';
import { ACTION_IDS, encodeButtonValue } from './button-value.js';
import { formatElapsed, formatUsage, mention } from './format.js';
import { inlineCode, plural, snippet, truncateText } from './limits.js';
import { buildMessage, type SlackMessage } from './message.js';
import { renderPlanChecklist } from './plan.js';

/** What the agent is doing right now: `Running` + `npm test`, or `Thinking`. */
export interface CurrentStep {
  label: string;
  /** Shown as inline code after the label (a command, a file). */
  code?: string;
}

/**
 * Everything the status card shows, derived from the task record and its events. Field names
 * match `CardState` (src/slack/card-state.ts), so `renderStatusCard({ ...state, elapsedMs })`
 * works; times come precomputed so that rendering stays pure.
 */
export interface StatusCardView {
  taskId: string;
  /** Slack user id of who asked. */
  owner: string;
  prompt: string;
  repo: string;
  branch?: string;
  status: TaskStatus;
  /** Plain text (escaped here; backticks still make inline code), or a label and a command. */
  currentStep?: string | CurrentStep;
  plan?: PlanStep[];
  /** Thread replies received but not yet read by the agent. */
  steeringPending?: number;
  elapsedMs?: number;
  /** The model asked for. */
  model?: string;
  /** The model that actually answered (the response's `model`); flagged when it is not the one asked for. */
  servedBy?: string;
  usage?: TokenUsage;
  /** Follow-up number; shown from 2 on. */
  turn?: number;
  /** Why the task failed, for `failed`. */
  error?: { code: string; message: string };
  /** The automation that started the task (`/codex schedule`). */
  automation?: { id: string; cron: string };
  /** The task's open pull request. */
  pullRequest?: { number: number; url: string };
  /** The latest turn undone with Undo. */
  undoneTurn?: number;
  /** The model API is failing; the turn waits and tries again. */
  modelRetry?: { attempt: number; retryInMs: number; reason: string };
}

export const STATUS_LABELS: Record<TaskStatus, { icon: string; label: string }> = {
  queued: { icon: '⏳', label: 'Queued' },
  starting: { icon: '🚀', label: 'Starting' },
  working: { icon: '🔄', label: 'Working' },
  waiting_for_approval: { icon: '✋', label: 'Waiting for approval' },
  waiting_for_answer: { icon: '❓', label: 'Waiting for your answer' },
  interrupted: { icon: '⏸️', label: 'Interrupted: waiting for instructions' },
  done: { icon: '✅', label: 'Done' },
  failed: { icon: '❌', label: 'Failed' },
  cancelled: { icon: '🚫', label: 'Cancelled' },
};

const STOPPABLE: ReadonlySet<TaskStatus> = new Set(['starting', 'working', 'waiting_for_approval', 'waiting_for_answer']);
const CANCELLABLE: ReadonlySet<TaskStatus> = new Set(['queued', 'starting', 'working', 'waiting_for_approval', 'waiting_for_answer', 'interrupted']);

const PROMPT_MAX = 500;
const PROMPT_LINES = 6;

/** `> line` for every line: a quote reads as "what was asked" on any screen width. */
function quote(escaped: string): string {
  return escaped
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

function renderStep(step: string | CurrentStep): string {
  if (typeof step === 'string') return snippet(step, 200);
  const code = step.code ? ` ${inlineCode(step.code, 120)}` : '';
  return `${snippet(step.label, 80)}${code}`;
}

function controls(view: StatusCardView): KnownBlock[] {
  const value = encodeButtonValue({ t: view.taskId });
  const buttons: Button[] = [];
  if (STOPPABLE.has(view.status)) buttons.push(button({ text: 'Stop', actionId: ACTION_IDS.stop, value }));
  if (CANCELLABLE.has(view.status)) {
    buttons.push(
      button({
        text: 'Cancel',
        actionId: ACTION_IDS.cancel,
        value,
        style: 'danger',
        confirm: {
          title: 'Cancel this task?',
          text: `The agent stops and the task ends.${view.branch ? ` Work done so far stays on branch ${view.branch}.` : ''}`,
          confirm: 'Cancel task',
          deny: 'Keep it running',
          danger: true,
        },
      }),
    );
  }
  return buttons.length > 0 ? [actions(`codex_task_controls`, buttons)] : [];
}

/**
 * True when `served` is the model asked for: the same name, or a dated snapshot of it
 * (`gpt-5` served as `gpt-5-2025-08-07`, as the OpenAI API names what answered).
 */
export function sameModel(asked: string, served: string): boolean {
  if (asked === served) return true;
  return served.startsWith(`${asked}-`) && /^\d{4}-\d{2}-\d{2}$/.test(served.slice(asked.length + 1));
}

/** The card's line while the model API fails: what failed, how often, when the next try is. */
function modelRetryLine(r: NonNullable<StatusCardView['modelRetry']>): string {
  const seconds = Math.max(1, Math.round(r.retryInMs / 1000));
  return `⚠️ *Model unavailable, retrying* (${snippet(r.reason, 60)}; ${plural(r.attempt, 'failed attempt')} so far; next try in ${seconds} s). The task waits, within its time budget.`;
}

/**
 * The live card at the top of a task's thread. Short lines for phones: state, who asked and
 * what, where, what now, the plan, then the buttons while the task can still be stopped or
 * cancelled. Button values carry the task id only.
 */
export function renderStatusCard(view: StatusCardView): SlackMessage {
  const { icon, label } = STATUS_LABELS[view.status];
  const prompt = truncateText(view.prompt.trim() || '(no prompt)', PROMPT_MAX, { escape: true, maxLines: PROMPT_LINES });
  const blocks: KnownBlock[] = [
    section(`${icon} *${label}* · task ${inlineCode(view.taskId, 40)}${view.turn && view.turn > 1 ? ` · turn ${view.turn}` : ''}\n${mention(view.owner)} asked:\n${quote(prompt)}`, 'codex_task_head'),
  ];

  const where = [`📦 ${snippet(view.repo, 80)}`];
  if (view.automation) where.unshift(`🔁 automation ${inlineCode(view.automation.id, 20)} (${inlineCode(view.automation.cron, 60)})`);
  if (view.branch) where.push(`🌿 ${inlineCode(view.branch, 80)}`);
  if (view.elapsedMs !== undefined) where.push(`⏱ ${formatElapsed(view.elapsedMs)}`);
  if (view.pullRequest && /^https?:\/\/[^\s|<>]+$/.test(view.pullRequest.url)) where.push(`🔀 <${view.pullRequest.url}|pull request #${view.pullRequest.number}>`);
  blocks.push(context([where.join(' · ')]));

  const active = CANCELLABLE.has(view.status);
  if (active && view.modelRetry) blocks.push(section(modelRetryLine(view.modelRetry)));
  else if (active && view.status !== 'interrupted' && view.currentStep) blocks.push(section(`*Now:* ${renderStep(view.currentStep)}`));
  if (view.status === 'interrupted') {
    blocks.push(section('Reply in this thread to tell the agent what to do next.'));
  }
  if (view.status === 'failed' && view.error) {
    blocks.push(section(`*Error:* ${truncateText(view.error.message, 500, { escape: true, maxLines: 6 })}`));
  }
  if (view.plan && view.plan.length > 0) blocks.push(section(renderPlanChecklist(view.plan)));

  const facts: string[] = [];
  if (view.undoneTurn && !active) facts.push(`↩️ Turn ${view.undoneTurn} undone`);
  if (active && view.steeringPending) facts.push(`💬 ${plural(view.steeringPending, 'reply', 'replies')} waiting for the agent`);
  const used = view.usage && view.usage.inputTokens + view.usage.outputTokens > 0 ? formatUsage(view.usage) : '';
  const swapped = view.servedBy !== undefined && view.model !== undefined && !sameModel(view.model, view.servedBy);
  const shownModel = swapped ? view.servedBy : view.model;
  const model = [shownModel ? snippet(shownModel, 60) : '', used].filter(Boolean).join(' · ');
  if (model) facts.push(`🤖 ${model}`);
  // A model other than the one asked for is said out loud, never swapped in silently.
  if (swapped) blocks.push(section(`⚠️ *Answered by ${inlineCode(view.servedBy!, 60)}*, not ${inlineCode(view.model!, 60)} as asked.`));
  if (facts.length > 0) blocks.push(context(facts));

  blocks.push(...controls(view));
  const fallback = `${icon} ${label}: ${snippet(view.prompt, 150)} (${snippet(view.repo, 60)})`;
  return buildMessage(fallback, blocks);
}
