import type { Budgets } from '../config.js';
import type { PlanStep } from '../tasks/protocol.js';
import { formatPlan } from './tools/update-plan.js';

/*
 * The limits of one turn (config.ts Budgets): model calls, wall-clock minutes (approval waits
 * included) and tokens (input + output, as billed), and of the whole task: tokens over all its
 * turns, so a reply does not buy a fresh budget. Reaching one ends the turn as completed, with `budget` set and a
 * summary of where the work stands, built from what the agent last said and its plan: no extra
 * model call, which could itself run over.
 */

export type BudgetKind = 'steps' | 'time' | 'tokens' | 'task_tokens';

export class BudgetTracker {
  readonly #startedAt: number;
  #steps = 0;
  #tokens = 0;
  /** Tokens of the task's earlier turns (and of this turn before a resume). */
  #priorTokens = 0;

  constructor(
    private readonly budgets: Budgets,
    private readonly now: () => number,
  ) {
    this.#startedAt = now();
  }

  countStep(): void {
    this.#steps += 1;
  }

  addTokens(n: number): void {
    this.#tokens += n;
  }

  addPriorTokens(n: number): void {
    this.#priorTokens += n;
  }

  /** Milliseconds of wall clock left. */
  remainingMs(): number {
    return this.#startedAt + this.budgets.maxMinutes * 60_000 - this.now();
  }

  /** The first budget reached, if any: checked before each model call. */
  exceeded(): BudgetKind | undefined {
    if (this.#steps >= this.budgets.maxSteps) return 'steps';
    if (this.remainingMs() <= 0) return 'time';
    if (this.#tokens >= this.budgets.maxTokens) return 'tokens';
    if (this.#priorTokens + this.#tokens >= this.budgets.maxTaskTokens) return 'task_tokens';
    return undefined;
  }
}

/** The summary of a turn that a budget ended. */
export function budgetSummary(kind: BudgetKind, budgets: Budgets, lastMessage: string | undefined, plan: readonly PlanStep[]): string {
  const what = {
    steps: `the step budget (${budgets.maxSteps} model calls)`,
    time: `the time budget (${budgets.maxMinutes} minutes)`,
    tokens: `the token budget (${budgets.maxTokens.toLocaleString('en-US')} tokens)`,
    task_tokens: `the task's token budget across all its turns (${budgets.maxTaskTokens.toLocaleString('en-US')} tokens)`,
  }[kind];
  const parts = [`Stopped early: ${what} ran out before the agent finished. The branch holds the changes made so far.`];
  if (lastMessage?.trim()) parts.push(`Last update from the agent:\n${lastMessage.trim()}`);
  if (plan.length > 0) parts.push(`Plan at that point:\n${formatPlan(plan)}`);
  parts.push('Reply in the thread to continue from here.');
  return parts.join('\n\n');
}
