import { randomUUID } from 'node:crypto';
import type { ErrorCode } from '../errors.js';
import type { TaskEvent, TaskEventInput } from './protocol.js';
import type { RenderProgress } from './render-progress.js';
import type { DeliveryRequest, TaskQueue } from './task-queue.js';
import { FINAL_STATUSES, type TaskRecord, type TaskStatus } from './task-record.js';
import type { TaskStore } from './task-store.js';

/** The events that end a turn. */
export type FinalEventInput = Extract<TaskEventInput, { type: 'task_completed' | 'task_failed' | 'task_cancelled' }>;

const STATUS_OF: Record<FinalEventInput['type'], TaskStatus> = { task_completed: 'done', task_failed: 'failed', task_cancelled: 'cancelled' };

/** How many times a reply retries when the task changes state under it (a turn ending, another reply). */
const REPLY_ATTEMPTS = 5;

/**
 * The one owner of a task's life: every change of its status or turn happens here, each as one
 * atomic step in Redis together with the event that tells every renderer about it
 * (TaskStore.transition). The app's listeners and the worker call these; nothing else writes
 * status or turn.
 *
 *   create ─> queued ─beginTurn─> starting ─markWorking─> working ─endTurn─> done | failed | cancelled
 *                │                                                              │
 *                └─cancelQueued─> cancelled            startNextTurn (a reply) ─┘─> queued (turn + 1)
 */
export class TaskLifecycle {
  constructor(
    readonly store: TaskStore,
    private readonly queue: TaskQueue,
    /** When set, a turn's end waits (bounded) until its final output has reached Slack. */
    private readonly delivery?: { progress: RenderProgress; timeoutMs: number },
  ) {}

  /** Writes a new task (status `queued`, turn 1) and its `task_created` event. */
  async create(record: TaskRecord): Promise<TaskEvent> {
    const { repo, branch, baseBranch, prompt, owner, model, mode, automation } = record;
    return this.store.createTask({ ...record, status: 'queued', turn: 1 }, { type: 'task_created', facts: { repo, branch, baseBranch, prompt, owner, model, mode, ...(automation ? { automation } : {}) } });
  }

  /**
   * Asks a worker to carry out a delivery step (open the pull request, undo a turn) for an
   * ended task. It changes neither status nor turn; what happens is told by the events the
   * worker appends (`pull_request_*`, `branch_reset*`).
   */
  async requestDelivery(task: TaskRecord, delivery: DeliveryRequest): Promise<void> {
    await this.queue.enqueueDelivery(task.id, task.turn, delivery);
  }

  /** Queues turn 1's job; if that fails, the task fails with `message` (and the error is rethrown). */
  async enqueueFirstTurn(task: TaskRecord, message: string): Promise<void> {
    try {
      await this.queue.enqueue({ taskId: task.id, turn: 1 });
    } catch (e) {
      await this.fail(task.id, 'queue_unavailable', message, { turn: 1 }).catch(() => undefined);
      throw e;
    }
  }

  /** Turn `turn` waits in line for a free slot (a running-task cap): `place` 1 is next. */
  async waitInLine(id: string, turn: number, place: number): Promise<void> {
    await this.store.transition(id, { turn, statuses: ['queued'] }, {}, { type: 'turn_waiting', turn, place });
  }

  /**
   * A worker run took turn `turn`: `starting`, owned by a new run id (the record's `runId`).
   * A second run of the same turn (BullMQ handed the job on after a lost lock) supersedes the
   * first: from here on the first run's writes are refused. Undefined when the task is not at
   * that turn or has ended.
   */
  async beginTurn(id: string, turn: number): Promise<(TaskRecord & { runId: string }) | undefined> {
    const current = await this.store.getTask(id);
    if (!current) return undefined;
    const runId = randomUUID().slice(0, 8);
    const done = await this.store.transition(id, { turn, final: false, ending: false }, { status: 'starting', runId, startedAt: current.startedAt ?? new Date().toISOString(), endedAt: null }, { type: 'turn_starting', turn });
    if (!done && current.turn === turn && current.ending) await this.finishEnding(id, turn);
    return done && { ...done.task, runId };
  }

  /** The sandbox is up: `working`, with the `task_started` event. False once another run owns the turn. */
  async markWorking(id: string, run: { turn: number; runId: string }, started: { model: string; repo: string; branch: string }): Promise<boolean> {
    return (await this.store.transition(id, { turn: run.turn, runId: run.runId, final: false }, { status: 'working' }, { type: 'task_started', turn: run.turn, ...started })) !== undefined;
  }

  /** True while run `runId` still owns turn `turn` (checked before the commit). */
  async owns(id: string, run: { turn: number; runId: string }): Promise<boolean> {
    const task = await this.store.getTask(id);
    return task !== undefined && task.turn === run.turn && task.runId === run.runId && !FINAL_STATUSES.has(task.status);
  }

  /**
   * Ends turn `turn` with its final event. Call after the sandbox and checkout are gone (the next
   * turn reuses the checkout path). The event goes first and the record's status last, after
   * the renderers have delivered the event (bounded by `delivery.timeoutMs`): so a person who
   * sees the summary can reply at once, and a reply from the moment the status is final starts
   * the next turn, while one before it is steering that the worker collects (see run-task-job).
   */
  async endTurn(id: string, run: { turn: number; runId?: string }, final: FinalEventInput, fields: { commit?: string } = {}): Promise<TaskRecord | undefined> {
    // The final event and the mark that the turn is ending, in one step: no other run may take
    // the turn while its end is being delivered (beginTurn's guard).
    const marked = await this.store.transition(id, { turn: run.turn, runId: run.runId, final: false, ending: false }, { ending: true, ...(fields.commit ? { commit: fields.commit } : {}) }, final);
    if (!marked?.event) return undefined;
    if (this.delivery) await this.delivery.progress.waitRendered(id, marked.event.seq, this.delivery.timeoutMs);
    return this.settleEnding(id, run.turn, final);
  }

  /**
   * Completes an end whose run died after writing the final event (the turn did end): the
   * status follows from that event. Called by a later run of the job and by the sweep.
   */
  async finishEnding(id: string, turn: number): Promise<TaskRecord | undefined> {
    const events = await this.store.readEvents(id);
    const final = events.findLast((e): e is Extract<TaskEvent, { type: FinalEventInput['type'] }> => e.type === 'task_completed' || e.type === 'task_failed' || e.type === 'task_cancelled');
    if (!final) return undefined;
    return this.settleEnding(id, turn, final);
  }

  private async settleEnding(id: string, turn: number, final: FinalEventInput): Promise<TaskRecord | undefined> {
    const error = final.type === 'task_failed' ? { code: final.code, message: final.message } : null;
    const done = await this.store.transition(id, { turn, final: false, ending: true }, { status: STATUS_OF[final.type], endedAt: new Date().toISOString(), error, ending: null });
    return done?.task;
  }

  /**
   * Cancels a task that no worker has taken: its job is removed and it ends here. Returns false
   * when a worker has it already (send a cancel operation instead).
   */
  async cancelQueued(task: TaskRecord, by: string): Promise<boolean> {
    if (task.status !== 'queued' || !(await this.queue.removeWaiting(task.id, task.turn))) return false;
    const done = await this.store.transition(task.id, { turn: task.turn, statuses: ['queued'] }, { status: 'cancelled', endedAt: new Date().toISOString() }, { type: 'task_cancelled', by });
    return done !== undefined;
  }

  /** Fails a task that has not ended (its job died, or could not be queued). */
  async fail(id: string, code: ErrorCode, message: string, guard: { turn?: number } = {}): Promise<TaskRecord | undefined> {
    const done = await this.store.transition(id, { ...guard, final: false, ending: false }, { status: 'failed', endedAt: new Date().toISOString(), error: { code, message } }, { type: 'task_failed', code, message });
    return done?.task;
  }

  /**
   * Starts turn `task.turn + 1` of an ended task with `prompt` from `by`, and queues its job.
   * Of two callers racing to follow up the same ended turn, exactly one wins; the loser gets
   * undefined. If the job cannot be queued, the task is put back as it was (`turn_withdrawn`)
   * and the error is rethrown, so a later reply can try again.
   */
  async startNextTurn(task: TaskRecord, prompt: string, by: string, attachments?: string): Promise<TaskRecord | undefined> {
    // Operations sent before the new turn (to the ended one) must not reach it, e.g. a late cancel.
    const opCursor = await this.store.lastOpId(task.id);
    const turn = task.turn + 1;
    const started = await this.store.transition(
      task.id,
      { turn: task.turn, final: true },
      { turn, turnPrompt: prompt, turnBy: by, turnAttachments: attachments ?? null, opCursor, status: 'queued', error: null, endedAt: null, startedAt: null, ending: null },
      { type: 'turn_queued', turn, prompt, by },
    );
    if (!started) return undefined;
    try {
      await this.queue.enqueue({ taskId: task.id, turn });
    } catch (e) {
      const back = { turn: task.turn, turnPrompt: task.turnPrompt ?? null, turnBy: task.turnBy ?? null, turnAttachments: task.turnAttachments ?? null, opCursor: task.opCursor ?? null, status: task.status, error: task.error ?? null, endedAt: task.endedAt ?? null, startedAt: task.startedAt ?? null };
      await this.store.transition(task.id, { turn, statuses: ['queued'] }, back, { type: 'turn_withdrawn', turn }).catch(() => undefined);
      throw e;
    }
    return started.task;
  }

  /**
   * Delivers words from an allowed person to a task: steering while a turn runs, the next turn
   * once it has ended. Both writes are conditional in Redis (appendOpIfRunning, startNextTurn),
   * so words racing with the end of a turn, or with another reply, land exactly once: the
   * worker reads them as steering, or they start (or steer) the next turn. `beforeSteer` runs
   * before a steer operation is written (to link it to the reply it came from).
   */
  async deliver(task: TaskRecord, text: string, by: string, beforeSteer?: (opId: string) => Promise<void>, attachments?: string): Promise<'steered' | 'follow_up'> {
    let current: TaskRecord | undefined = task;
    for (let attempt = 0; current && attempt < REPLY_ATTEMPTS; attempt++) {
      if (FINAL_STATUSES.has(current.status)) {
        if (await this.startNextTurn(current, text, by, attachments)) return 'follow_up';
      } else {
        const opId = crypto.randomUUID();
        await beforeSteer?.(opId);
        if (await this.store.appendOpIfRunning(task.id, attachments ? { type: 'steer', text, by, opId, attachments } : { type: 'steer', text, by, opId })) return 'steered';
      }
      current = await this.store.getTask(task.id);
    }
    throw new Error(`could not deliver a reply to task ${task.id}: it kept changing state`);
  }
}
