import type { CodexError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { TaskEventInput, TaskOp } from '../tasks/protocol.js';
import type { ApprovalGate } from './approval-gate.js';
import type { QuestionDesk } from './question-desk.js';
import type { StopReason } from './stop-reason.js';

/*
 * The state that operations change while the agent works, shared by the op pump (which feeds
 * it) and the loop (which reads it at every step boundary):
 * - steer: acknowledged at once (steering_received), queued for the next model call;
 * - interrupt: aborts the current step's signal (model request, command, approval wait);
 *   the loop then records it and waits for the next steer;
 * - cancel: aborts the task's signal; the loop ends;
 * - halt (from the worker, not an op): aborts the task's signal; the loop ends as failed;
 * - approval: handed to the approval gate;
 * - answer: handed to the question desk; a steer that comes while a question is open is its
 *   answer (acknowledged and applied at once), not steering.
 */

type SteerOp = Extract<TaskOp, { type: 'steer' }>;

/** A steer op and whether it came in while the task was stopped by an interrupt. */
export interface QueuedSteer {
  op: SteerOp;
  afterInterrupt: boolean;
}

export class RunControl {
  readonly #task = new AbortController();
  #step = new AbortController();
  #stepSignal: AbortSignal;
  #steers: QueuedSteer[] = [];
  #wake: (() => void) | undefined;
  #interrupted: { by?: string } | undefined;
  #cancelled: { by?: string } | undefined;
  #halted: CodexError | undefined;

  constructor(
    private readonly deps: { emit(event: TaskEventInput): Promise<void>; gate: ApprovalGate; questions: QuestionDesk; logger: Logger },
  ) {
    this.#stepSignal = AbortSignal.any([this.#task.signal, this.#step.signal]);
  }

  /** Aborts on interrupt or cancel; its `reason` is a StopReason. Renewed by `resume`. */
  get stepSignal(): AbortSignal {
    return this.#stepSignal;
  }

  /** Aborts only on cancel. */
  get taskSignal(): AbortSignal {
    return this.#task.signal;
  }

  get interrupted(): { by?: string } | undefined {
    return this.#interrupted;
  }

  get cancelled(): { by?: string } | undefined {
    return this.#cancelled;
  }

  /** Why the worker stopped the turn, if it did: the turn fails with this error. */
  get halted(): CodexError | undefined {
    return this.#halted;
  }

  /** Stops the turn as failed with `error` (a limit hit): aborts whatever runs, like a cancel. */
  halt(error: CodexError): void {
    if (this.#halted || this.#cancelled) return;
    this.#halted = error;
    this.#task.abort({ kind: 'halt' } satisfies StopReason);
    this.#wakeUp();
  }

  get hasSteering(): boolean {
    return this.#steers.length > 0;
  }

  /** Applies one operation. Called by the op pump, one op at a time, in order. */
  async onOp(op: TaskOp): Promise<void> {
    switch (op.type) {
      case 'steer':
        await this.deps.emit({ type: 'steering_received', opId: op.opId, text: op.text, by: op.by });
        if (this.deps.questions.answerWithReply(op)) {
          await this.deps.emit({ type: 'steering_applied', opIds: [op.opId] });
          break;
        }
        this.#steers.push({ op, afterInterrupt: this.#interrupted !== undefined });
        this.#wakeUp();
        break;
      case 'interrupt':
        if (this.#interrupted || this.#cancelled) return;
        this.#interrupted = { by: op.by };
        this.#step.abort({ kind: 'interrupt', by: op.by } satisfies StopReason);
        break;
      case 'cancel':
        if (this.#cancelled) return;
        this.#cancelled = { by: op.by };
        this.#task.abort({ kind: 'cancel', by: op.by } satisfies StopReason);
        this.#wakeUp();
        break;
      case 'approval':
        if (!this.deps.gate.settle(op)) this.deps.logger.info({ approvalId: op.approvalId }, 'approval op for an unknown or settled request ignored');
        break;
      case 'answer':
        if (!this.deps.questions.settle(op)) this.deps.logger.info({ questionId: op.questionId }, 'answer to a closed or unknown question ignored');
        break;
    }
  }

  /** Takes every queued steer, oldest first. */
  takeSteering(): QueuedSteer[] {
    return this.#steers.splice(0);
  }

  /**
   * After an interrupt: waits until a steer arrives after it (the run continues), the task is
   * cancelled, or `deadline` (epoch ms) passes.
   */
  async waitForInstruction(deadline: number): Promise<'steer' | 'cancel' | 'timeout'> {
    for (;;) {
      if (this.#cancelled || this.#halted) return 'cancel';
      if (this.#steers.some((s) => s.afterInterrupt)) return 'steer';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 2 ** 31 - 1));
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Leaves the interrupted state with a fresh step signal. */
  resume(): void {
    this.#interrupted = undefined;
    this.#step = new AbortController();
    this.#stepSignal = AbortSignal.any([this.#task.signal, this.#step.signal]);
  }

  #wakeUp(): void {
    this.#wake?.();
  }
}
