import { randomUUID } from 'node:crypto';
import type { TaskOp } from '../tasks/protocol.js';
import { questionAnsweredNote, questionTimedOutNote } from './prompts.js';
import { waitLimit, type PersonWaitOptions } from './approval-gate.js';

/*
 * Asking the people in the thread (the ask_people tool), like the approval gate: emit
 * question_asked, wait for the first answer (an `answer` op from a button, or a steer, i.e. a
 * thread reply, that arrives while the question is open), a timeout (approval.timeoutMinutes,
 * never past the turn's time budget), or an interrupt/cancel of the step. Exactly one
 * question_answered per question; later answers are ignored. Who may answer is checked by the
 * Slack side before it sends the op.
 */

export type QuestionResult = { outcome: 'answered'; output: string } | { outcome: 'stopped' };

export interface QuestionDeskOptions extends PersonWaitOptions {
  /** approval.timeoutMinutes: how long a question waits. */
  timeoutMinutes: number;
}

interface Open {
  id: string;
  settle(answer: { text: string; by: string } | undefined): void;
}

export class QuestionDesk {
  #open: Open | undefined;
  readonly #opts: QuestionDeskOptions;

  constructor(options: QuestionDeskOptions) {
    this.#opts = options;
  }

  /** True while a question waits for its answer: a thread reply then answers it. */
  get isOpen(): boolean {
    return this.#open !== undefined;
  }

  async ask(question: string, choices: readonly string[], signal: AbortSignal): Promise<QuestionResult> {
    if (signal.aborted) return { outcome: 'stopped' };
    const questionId = `q_${randomUUID()}`;
    const { timeoutMs, expiresAt, waited } = waitLimit(this.#opts.timeoutMinutes, this.#opts);
    const answered = new Promise<{ answer?: { text: string; by: string }; stopped: boolean }>((resolve) => {
      const finish = (answer: { text: string; by: string } | undefined, stopped: boolean) => {
        if (this.#open?.id !== questionId) return;
        this.#open = undefined;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(answer ? { answer, stopped } : { stopped });
      };
      const timer = setTimeout(() => finish(undefined, false), timeoutMs);
      const onAbort = () => finish(undefined, true);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#open = { id: questionId, settle: (a) => finish(a, false) };
    });
    try {
      await this.#opts.emit({ type: 'question_asked', questionId, question, choices: [...choices], expiresAt });
    } catch (e) {
      this.#open?.settle(undefined); // clears the timer
      throw e;
    }
    const result = await answered;
    const a = result.answer;
    await this.#opts.emit(a ? { type: 'question_answered', questionId, answer: a.text, by: a.by, timedOut: false } : { type: 'question_answered', questionId, timedOut: !result.stopped });
    this.#opts.logger?.info({ questionId, answered: a !== undefined, stopped: result.stopped }, 'question closed');
    if (result.stopped) return { outcome: 'stopped' };
    if (a) return { outcome: 'answered', output: questionAnsweredNote(a.text, a.by, this.#opts.describePerson) };
    return { outcome: 'answered', output: questionTimedOutNote(waited) };
  }

  /** Applies an `answer` op. False when the question is not the open one (ignored). */
  settle(op: Extract<TaskOp, { type: 'answer' }>): boolean {
    if (!this.#open || this.#open.id !== op.questionId) return false;
    this.#open.settle({ text: op.answer, by: op.by });
    return true;
  }

  /** A thread reply while a question is open answers it; false when none is open. */
  answerWithReply(op: Extract<TaskOp, { type: 'steer' }>): boolean {
    if (!this.#open) return false;
    this.#open.settle({ text: op.text, by: op.by });
    return true;
  }
}
