import type { Redis } from 'ioredis';
import { CodexError } from '../errors.js';
import type { EventSink, OpSource, TaskEvent, TaskEventInput, TaskOp } from './protocol.js';
import type { TaskStore } from './task-store.js';

/**
 * The worker's EventSink: appends each event to the task's Redis stream, where every renderer
 * (in any process) reads it. Nothing is handed to a renderer in-process: what Slack shows is
 * always something any other process can read back.
 */
export class RedisEventSink implements EventSink {
  constructor(
    private readonly store: TaskStore,
    private readonly taskId: string,
    /** The worker run writing (TaskRecord.runId): once another run owns the turn, emits throw `run_superseded`. */
    private readonly runId?: string,
  ) {}

  async emit(input: TaskEventInput): Promise<TaskEvent> {
    if (this.runId === undefined) return this.store.appendEvent(this.taskId, input);
    const event = await this.store.appendRunEvent(this.taskId, this.runId, input);
    if (!event) throw new CodexError('run_superseded', `task ${this.taskId}: another worker run took over this turn`);
    return event;
  }
}

/**
 * What a turn resumed by a new run must not apply again: steering its conversation already
 * holds (`steering_applied`) and interrupts already handled (up to the last `task_interrupted`).
 */
export function handledOps(events: readonly TaskEvent[]): (op: TaskOp) => boolean {
  const applied = new Set(events.flatMap((e) => (e.type === 'steering_applied' ? e.opIds : [])));
  const lastInterrupt = events.findLast((e) => e.type === 'task_interrupted')?.at;
  return (op) => (op.type === 'steer' && applied.has(op.opId)) || (op.type === 'interrupt' && lastInterrupt !== undefined && op.at <= lastInterrupt);
}

/**
 * The worker's OpSource: reads the task's operation stream from a given position with a
 * blocking XREAD on its own connection (a blocking read would stall every other command on a
 * shared one). Aborting `next` is noticed within `blockMs`.
 */
export class RedisOpSource implements OpSource {
  private buffer: TaskOp[] = [];

  constructor(
    private readonly store: TaskStore,
    private readonly taskId: string,
    private readonly blocking: Redis,
    private lastId = '0',
    private readonly blockMs = 500,
    /** Operations to pass over (a resumed turn's steering and interrupts already handled). */
    private readonly handled: (op: TaskOp) => boolean = () => false,
  ) {}

  async next(signal?: AbortSignal): Promise<TaskOp | undefined> {
    while (this.buffer.length === 0) {
      if (signal?.aborted) return undefined;
      await this.fill(this.blockMs);
    }
    return this.buffer.shift();
  }

  async drain(): Promise<TaskOp[]> {
    await this.fill();
    const out = this.buffer;
    this.buffer = [];
    return out;
  }

  private async fill(blockMs?: number): Promise<void> {
    const entries = await this.store.readOps(this.taskId, this.lastId, blockMs ? { redis: this.blocking, ms: blockMs } : undefined);
    for (const { id, op } of entries) {
      this.lastId = id;
      if (!this.handled(op)) this.buffer.push(op);
    }
  }
}
