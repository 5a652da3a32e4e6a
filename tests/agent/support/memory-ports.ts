import { randomUUID } from 'node:crypto';
import {
  taskEventSchema,
  taskOpSchema,
  type EventSink,
  type OpSource,
  type TaskEvent,
  type TaskEventInput,
  type TaskOp,
  type TaskOpInput,
} from '../../../src/tasks/protocol.js';

/*
 * Test implementations of our own event and op ports, so agent tests can read every event and
 * feed operations at exact moments. Events and ops go through the protocol's zod schemas, as
 * they do on Redis; the Redis adapters themselves are tested in tests/tasks and end to end.
 */

/** Collects events; `waitFor` resolves when a matching event arrives. */
export class ArrayEventSink implements EventSink {
  readonly events: TaskEvent[] = [];
  #seq = 0;
  #waiters: Array<() => void> = [];

  constructor(readonly taskId: string) {}

  async emit(event: TaskEventInput): Promise<TaskEvent> {
    this.#seq += 1;
    const stamped = taskEventSchema.parse({ ...event, taskId: this.taskId, seq: this.#seq, at: new Date().toISOString() });
    this.events.push(stamped);
    this.#waiters.splice(0).forEach((wake) => wake());
    return stamped;
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }

  of<T extends TaskEvent['type']>(type: T): Array<Extract<TaskEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<TaskEvent, { type: T }> => e.type === type);
  }

  /** Resolves with the first event (already emitted or future) that matches. */
  async waitFor<T extends TaskEvent['type']>(type: T, match: (e: Extract<TaskEvent, { type: T }>) => boolean = () => true, timeoutMs = 20_000): Promise<Extract<TaskEvent, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.of(type).find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} event within ${timeoutMs} ms; got: ${this.types().join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** A queue of ops; tests `send` them, the agent reads them with `next`. */
export class QueueOpSource implements OpSource {
  #queue: TaskOp[] = [];
  #waiters: Array<() => void> = [];

  constructor(readonly taskId: string) {}

  send(op: TaskOpInput): TaskOp {
    const full = taskOpSchema.parse({ ...op, opId: op.opId ?? `op_${randomUUID()}`, taskId: this.taskId, at: new Date().toISOString() });
    this.#queue.push(full);
    this.#waiters.splice(0).forEach((wake) => wake());
    return full;
  }

  async next(signal?: AbortSignal): Promise<TaskOp | undefined> {
    for (;;) {
      if (signal?.aborted) return undefined;
      const op = this.#queue.shift();
      if (op) return op;
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  async drain(): Promise<TaskOp[]> {
    return this.#queue.splice(0);
  }
}
