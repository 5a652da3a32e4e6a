import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskLifecycle } from '../../src/tasks/lifecycle.js';
import { TaskQueue } from '../../src/tasks/task-queue.js';
import { newTaskId, taskBranchName, type TaskRecord } from '../../src/tasks/task-record.js';
import { RETENTION_SEC, TaskStore } from '../../src/tasks/task-store.js';
import { REDIS_URL, deleteKeys, testRedis } from '../helpers/redis.js';

/*
 * TaskLifecycle on real Redis and a real BullMQ queue: every change of status and turn, its
 * event, and the races between the app and the worker (each side on its own connection, as two
 * processes would be).
 */

function record(id: string): TaskRecord {
  const now = new Date().toISOString();
  return { id, repo: 'billing', branch: taskBranchName(id, 'fix it'), baseBranch: 'main', prompt: 'fix it', owner: 'U1', channel: 'C1', status: 'queued', model: 'm', turn: 1, mode: 'task', createdAt: now, updatedAt: now };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Two sides (app and worker), each with its own connection and queue client, on one prefix. */
function setup() {
  const { redis, prefix, cleanup } = testRedis();
  const other = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queues = [new TaskQueue({ url: REDIS_URL }, `${prefix}-bull`), new TaskQueue({ url: REDIS_URL }, `${prefix}-bull`)];
  cleanups.push(async () => {
    await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
    await deleteKeys(redis, `${prefix}-bull`);
    other.disconnect();
    await cleanup();
  });
  const app = new TaskLifecycle(new TaskStore(redis, prefix), queues[0]!);
  const worker = new TaskLifecycle(new TaskStore(other, prefix), queues[1]!);
  return { app, worker, store: app.store, redis, prefix, queue: queues[0]! };
}

async function types(store: TaskStore, id: string): Promise<string[]> {
  return (await store.readEvents(id)).map((e) => e.type);
}

/** A task taken through turn 1 to `done`. */
async function endedTask(s: ReturnType<typeof setup>): Promise<TaskRecord> {
  const id = newTaskId();
  await s.app.create(record(id));
  const begun = (await s.worker.beginTurn(id, 1))!;
  await s.worker.markWorking(id, begun, { model: 'm', repo: 'billing', branch: 'b' });
  return (await s.worker.endTurn(id, { turn: 1 }, { type: 'task_completed', summary: 'ok', diffStat: { files: [], added: 0, removed: 0 }, branch: 'b' }))!;
}

describe('TaskLifecycle', () => {
  it('moves a task through its turn, each step with the event that tells it', async () => {
    const s = setup();
    const id = newTaskId();
    const created = await s.app.create(record(id));
    expect(created).toMatchObject({ type: 'task_created', seq: 1, facts: { prompt: 'fix it', owner: 'U1', repo: 'billing' } });
    expect(await s.worker.beginTurn(id, 2)).toBeUndefined();
    const begun = (await s.worker.beginTurn(id, 1))!;
    expect(begun).toMatchObject({ status: 'starting' });
    await s.worker.markWorking(id, begun, { model: 'm', repo: 'billing', branch: 'b' });
    expect((await s.store.getTask(id))?.status).toBe('working');
    const ended = await s.worker.endTurn(id, { turn: 1 }, { type: 'task_failed', code: 'agent_error', message: 'boom' });
    expect(ended).toMatchObject({ status: 'failed', error: { code: 'agent_error', message: 'boom' } });
    expect(ended?.endedAt).toBeDefined();
    // A turn ends once: a second end (a retried job) changes nothing.
    expect(await s.worker.endTurn(id, { turn: 1 }, { type: 'task_cancelled' })).toBeUndefined();
    expect(await types(s.store, id)).toEqual(['task_created', 'turn_starting', 'task_started', 'task_failed']);
    expect((await s.store.readEvents(id)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it('keeps an ended task for the retention period, and a running one for as long as it runs', async () => {
    const s = setup();
    const task = await endedTask(s);
    await s.store.patchTask(task.id, { threadTs: '5.6' });
    await s.store.linkThread('C1', '5.6', task.id);
    await s.store.patchTask(task.id, { cardTs: '5.6' });
    for (const key of [`${s.prefix}:task:${task.id}`, `${s.prefix}:task:${task.id}:events`, `${s.prefix}:thread:C1:5.6`]) {
      expect(await s.redis.ttl(key)).toBeGreaterThan(RETENTION_SEC - 60);
    }
    expect(await s.redis.sismember(`${s.prefix}:active`, task.id)).toBe(0);
    const next = await s.app.startNextTurn((await s.store.getTask(task.id))!, 'and the docs too', 'U2');
    expect(next).toMatchObject({ turn: 2, turnPrompt: 'and the docs too', turnBy: 'U2', status: 'queued' });
    expect(next?.endedAt).toBeUndefined();
    expect(await s.redis.ttl(`${s.prefix}:task:${task.id}`)).toBe(-1);
    expect(await s.redis.ttl(`${s.prefix}:task:${task.id}:events`)).toBe(-1);
    expect(await s.redis.sismember(`${s.prefix}:active`, task.id)).toBe(1);
    expect(await s.queue.queue.getJob(`${task.id}-t2`)).toBeDefined();
  });

  it('two replies racing at the end of a turn: one starts the next turn, the other steers it', async () => {
    const s = setup();
    const task = await endedTask(s);
    const results = await Promise.all([s.app.deliver(task, 'first reply', 'U1'), s.worker.deliver(task, 'second reply', 'U2')]);
    expect(results.sort()).toEqual(['follow_up', 'steered']);
    const events = await s.store.readEvents(task.id);
    expect(events.filter((e) => e.type === 'turn_queued')).toHaveLength(1);
    const current = (await s.store.getTask(task.id))!;
    expect(current.turn).toBe(2);
    // The loser's words are an operation of the new turn (after its cursor), not of the old one.
    const ops = await s.store.readOps(task.id, current.opCursor ?? '0');
    expect(ops.map(({ op }) => op.type)).toEqual(['steer']);
    expect([current.turnPrompt, (ops[0]!.op as { text: string }).text].sort()).toEqual(['first reply', 'second reply']);
  });

  it('a reply racing the worker\'s follow-up of late steering lands exactly once', async () => {
    const s = setup();
    for (let i = 0; i < 10; i++) {
      const task = await endedTask(s);
      const [reply, leftover] = await Promise.all([s.app.deliver(task, 'reply', 'U1'), s.worker.deliver(task, 'late steering', 'U1')]);
      expect([reply, leftover].filter((r) => r === 'follow_up')).toHaveLength(1);
      const events = await s.store.readEvents(task.id);
      expect(events.filter((e) => e.type === 'turn_queued')).toHaveLength(1);
    }
  });

  it('a cancel racing a worker that takes the turn: exactly one of them wins', async () => {
    const s = setup();
    for (let i = 0; i < 10; i++) {
      const id = newTaskId();
      await s.app.create(record(id));
      await s.queue.enqueue({ taskId: id, turn: 1 });
      const task = (await s.store.getTask(id))!;
      const [cancelled, started] = await Promise.all([s.app.cancelQueued(task, 'U1'), s.worker.beginTurn(id, 1)]);
      const final = (await s.store.getTask(id))!;
      if (cancelled) {
        expect(started).toBeUndefined();
        expect(final.status).toBe('cancelled');
        expect(await types(s.store, id)).toEqual(['task_created', 'task_cancelled']);
      } else {
        expect(started).toBeDefined();
        expect(final.status).toBe('starting');
        expect(await types(s.store, id)).toEqual(['task_created', 'turn_starting']);
      }
    }
  });

  it('a cancel against the end of a turn: the turn ends once, with its own final event', async () => {
    const s = setup();
    const id = newTaskId();
    await s.app.create(record(id));
    await s.worker.beginTurn(id, 1);
    const task = (await s.store.getTask(id))!;
    const [cancelled, ended] = await Promise.all([s.app.cancelQueued(task, 'U1'), s.worker.endTurn(id, { turn: 1 }, { type: 'task_completed', summary: 'ok', diffStat: { files: [], added: 0, removed: 0 }, branch: 'b' })]);
    expect(cancelled).toBe(false);
    expect(ended?.status).toBe('done');
    expect((await types(s.store, id)).filter((t) => t.startsWith('task_') && t !== 'task_created')).toEqual(['task_completed']);
  });

  it('fences a run that another run of the same turn has superseded', async () => {
    const s = setup();
    const id = newTaskId();
    await s.app.create(record(id));
    const first = (await s.worker.beginTurn(id, 1))!;
    expect(await s.worker.markWorking(id, first, { model: 'm', repo: 'billing', branch: 'b' })).toBe(true);
    // BullMQ hands the job to a second run (the first lost its lock but still lives).
    const second = (await s.app.beginTurn(id, 1))!;
    expect(second.runId).not.toBe(first.runId);
    expect(await s.worker.owns(id, first)).toBe(false);
    expect(await s.store.appendRunEvent(id, first.runId, { type: 'agent_message', text: 'stale' })).toBeUndefined();
    expect(await s.worker.endTurn(id, first, { type: 'task_completed', summary: 'stale', diffStat: { files: [], added: 0, removed: 0 }, branch: 'b' })).toBeUndefined();
    expect(await s.store.appendRunEvent(id, second.runId, { type: 'agent_message', text: 'fresh' })).toBeDefined();
    expect(await s.app.endTurn(id, second, { type: 'task_completed', summary: 'ok', diffStat: { files: [], added: 0, removed: 0 }, branch: 'b' })).toMatchObject({ status: 'done' });
    const events = await s.store.readEvents(id);
    expect(events.filter((e) => e.type === 'task_completed')).toHaveLength(1);
    expect(events.flatMap((e) => (e.type === 'agent_message' ? [e.text] : []))).toEqual(['fresh']);
  });

  it('lets no new run take a turn whose end is being delivered, and completes an end whose run died', async () => {
    const s = setup();
    const id = newTaskId();
    await s.app.create(record(id));
    const first = (await s.worker.beginTurn(id, 1))!;
    // The first run writes the final event and the ending mark, then dies before the status.
    await s.store.transition(id, { turn: 1, runId: first.runId, final: false, ending: false }, { ending: true }, { type: 'task_completed', summary: 'ok', diffStat: { files: [], added: 0, removed: 0 }, branch: 'b' });
    // BullMQ hands the job to another run: it does not start the turn again, it completes the end.
    expect(await s.app.beginTurn(id, 1)).toBeUndefined();
    expect(await s.store.getTask(id)).toMatchObject({ status: 'done' });
    expect((await s.store.getTask(id))?.ending).toBeUndefined();
    expect((await types(s.store, id)).filter((t) => t === 'turn_starting' || t === 'task_completed')).toEqual(['turn_starting', 'task_completed']);
  });

  it('writes from two processes never lose each other', async () => {
    const s = setup();
    const id = newTaskId();
    await s.app.create(record(id));
    await Promise.all([s.store.patchTask(id, { cardTs: '1.1', threadTs: '1.1' }), s.worker.beginTurn(id, 1), s.worker.store.patchTask(id, { autoPush: true })]);
    expect(await s.store.getTask(id)).toMatchObject({ cardTs: '1.1', threadTs: '1.1', autoPush: true, status: 'starting' });
  });

  it('puts a follow-up back when its job cannot be queued', async () => {
    const s = setup();
    const task = await endedTask(s);
    await s.queue.close();
    await expect(s.app.startNextTurn(task, 'more', 'U1')).rejects.toThrow();
    expect(await s.store.getTask(task.id)).toMatchObject({ turn: 1, status: 'done' });
    expect((await types(s.store, task.id)).slice(-2)).toEqual(['turn_queued', 'turn_withdrawn']);
  });

  it('fails a task that has not ended, and leaves an ended one alone', async () => {
    const s = setup();
    const id = newTaskId();
    await s.app.create(record(id));
    expect(await s.worker.fail(id, 'worker_lost', 'The worker stopped.')).toMatchObject({ status: 'failed', error: { code: 'worker_lost' } });
    expect(await s.worker.fail(id, 'worker_lost', 'again')).toBeUndefined();
    expect(await types(s.store, id)).toEqual(['task_created', 'task_failed']);
  });
});
