import { declinedNote, type DescribePerson } from './prompts.js';
import { randomUUID } from 'node:crypto';
import type { ApprovalPolicy } from '../config.js';
import type { Logger } from '../logger.js';
import type { ApprovalDecision, DiffStat, TaskEventInput, TaskOp } from '../tasks/protocol.js';
import type { ApprovalNeed } from './approval-policy.js';
import { stopReasonOf } from './stop-reason.js';

/*
 * Asking a person: emit approval_requested, wait for the `approval` op with that id (routed
 * here by the op pump), a timeout (counts as decline) or an interrupt/cancel of the step.
 * Exactly one approval_resolved per request. Who may decide is checked by the Slack side
 * before it sends the op; approval ops for unknown or settled ids are ignored.
 */

export interface ApprovalRequest {
  needs: ApprovalNeed[];
  command?: string;
  /** Where the command runs, as the approver should read it (`/workspace/sub`). */
  workdir?: string;
  diffStat?: DiffStat;
  /** The model's justification, shown to the approver. */
  reason?: string;
  /** How the model should read a denial: "this command", "this patch". */
  subject: string;
}

/** `run`: go ahead. `denied`: tell the model `message`. `stopped`: the step was interrupted or cancelled. */
export type ApprovalResult = { outcome: 'run' } | { outcome: 'denied'; message: string } | { outcome: 'stopped' };

type EventInput<T extends TaskEventInput['type']> = Extract<TaskEventInput, { type: T }>;

interface Pending {
  settle(decision: ApprovalDecision, by: string | undefined, timedOut: boolean): void;
}

/** What waiting for a person needs (approvals, questions). */
export interface PersonWaitOptions {
  emit(event: TaskEventInput): Promise<void>;
  now?: () => number;
  logger?: Logger;
  /** Names the person who answered or declined, in the note to the model. */
  describePerson?: DescribePerson;
  /** When the turn's time budget runs out (epoch ms): no wait outlasts it. */
  deadline?: () => number;
}

export interface ApprovalGateOptions extends PersonWaitOptions {
  policy: ApprovalPolicy;
}

/** How long to wait for a person: the policy's minutes, cut to what is left of the turn's time budget. */
export function waitLimit(minutes: number, opts: PersonWaitOptions): { timeoutMs: number; expiresAt: string; waited: string } {
  const now = (opts.now ?? Date.now)();
  const policyMs = minutes * 60_000;
  const timeoutMs = Math.min(policyMs, opts.deadline ? Math.max(0, opts.deadline() - now) : Infinity);
  const waited = timeoutMs < policyMs ? `the ${formatMinutes(timeoutMs / 60_000)} left of this turn's time budget` : formatMinutes(minutes);
  return { timeoutMs, expiresAt: new Date(now + timeoutMs).toISOString(), waited };
}

export class ApprovalGate {
  readonly #granted = new Set<string>();
  readonly #pending = new Map<string, Pending>();
  readonly #opts: ApprovalGateOptions;

  constructor(options: ApprovalGateOptions) {
    this.#opts = options;
  }

  /** Asks when some need is not yet granted for the task; resolves once decided. */
  async request(req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalResult> {
    const open = req.needs.filter((n) => !this.#granted.has(n.key));
    if (open.length === 0) return { outcome: 'run' };
    if (signal.aborted) return { outcome: 'stopped' };
    const approvalId = `ap_${randomUUID()}`;
    const { timeoutMs, expiresAt, waited } = waitLimit(this.#opts.policy.timeoutMinutes, this.#opts);
    const reason = [req.reason, `Asked because ${open.map((n) => n.why).join(' and ')}.`].filter(Boolean).join(' ');
    // Every open need is named: "Approve for this task" grants them all, not only the first.
    const requested: EventInput<'approval_requested'> = { type: 'approval_requested', approvalId, kind: open[0]!.kind, reason, needs: open.map((n) => n.why), expiresAt };
    if (req.command !== undefined) requested.command = req.command;
    if (req.workdir !== undefined) requested.workdir = req.workdir;
    if (req.diffStat !== undefined) requested.diffStat = req.diffStat;

    const decided = new Promise<{ decision: ApprovalDecision; by?: string; timedOut: boolean; stopped: boolean }>((resolve) => {
      const finish = (decision: ApprovalDecision, by: string | undefined, timedOut: boolean, stopped: boolean) => {
        if (!this.#pending.delete(approvalId)) return;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(by === undefined ? { decision, timedOut, stopped } : { decision, by, timedOut, stopped });
      };
      const timer = setTimeout(() => finish('decline', undefined, true, false), timeoutMs);
      const onAbort = () => finish('decline', stopReasonOf(signal)?.by, false, true);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(approvalId, { settle: (d, by, t) => finish(d, by, t, false) });
    });
    try {
      await this.#opts.emit(requested);
    } catch (e) {
      this.#pending.get(approvalId)?.settle('decline', undefined, false); // clears the timer
      throw e;
    }
    const result = await decided;
    const resolved: EventInput<'approval_resolved'> = { type: 'approval_resolved', approvalId, decision: result.decision, timedOut: result.timedOut };
    if (result.by !== undefined) resolved.by = result.by;
    await this.#opts.emit(resolved);
    this.#opts.logger?.info({ approvalId, ...result }, 'approval resolved');

    if (result.stopped) return { outcome: 'stopped' };
    if (result.decision === 'accept_for_task') for (const n of req.needs) this.#granted.add(n.key);
    if (result.decision !== 'decline') return { outcome: 'run' };
    const outcome = result.timedOut ? { timedOutAfter: waited } : { by: result.by };
    return { outcome: 'denied', message: declinedNote(req.subject, outcome, this.#opts.describePerson) };
  }

  /** Applies an `approval` op. False when the id is unknown or already settled (ignored). */
  settle(op: Extract<TaskOp, { type: 'approval' }>): boolean {
    const pending = this.#pending.get(op.approvalId);
    if (!pending) return false;
    pending.settle(op.decision, op.by, false);
    return true;
  }

  /** Requests waiting for a decision now. */
  get pendingCount(): number {
    return this.#pending.size;
  }
}

function formatMinutes(minutes: number): string {
  if (minutes >= 1) return `${Math.round(minutes * 10) / 10} minute${minutes === 1 ? '' : 's'}`;
  const seconds = Math.max(1, Math.round(minutes * 60));
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}
