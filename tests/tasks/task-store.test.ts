import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { handledOps, RedisEventSink, RedisOpSource } from '../../src/tasks/redis-channels.js';
import { newTaskId, slugify, taskBranchName, type TaskRecord } from '../../src/tasks/task-record.js';
import { RETENTION_SEC, TaskStore } from '../../src/tasks/task-store.js';
import { REDIS_URL, testRedis } from '../helpers/redis.js';

function record(id: string): TaskRecord {
  const now = new Date().toISOString();
  return { id, repo: 'billing', branch: taskBranchName(id, 'fix it'), baseBranch: 'main', prompt: 'fix it', owner: 'U1', channel: 'C1', status: 'queued', model: 'm', turn: 1, mode: 'task', createdAt: now, updatedAt: now };
}

describe('task ids and branches', () => {
  it('makes short ids and readable branch names', () => {
    const id = newTaskId();
    expect(id).toMatch(/^[a-z0-9]{8}$/);
    expect(slugify('Add retries to the Billing client!')).toBe('add-retries-to-the-billing-client');
    expect(slugify('a'.repeat(100))).toHaveLength(40);
    expect(slugify('make the date parser handle leap years in every calendar')).toBe('make-the-date-parser-handle-leap-years');
    expect(slugify('🙂')).toBe('task');
    expect(taskBranchName('abcd1234', 'Fix flaky date test')).toBe('codex/abcd1234-fix-flaky-date-test');
  });
});

describe('TaskStore on real Redis', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  function setup() {
    const r = testRedis();
    cleanups.push(r.cleanup);
    return { ...r, store: new TaskStore(r.redis, r.prefix) };
  }

  it('creates, reads, patches and maps threads to tasks', async () => {
    const { store } = setup();
    const id = newTaskId();
    const created = await store.createTask(record(id), { type: 'agent_message', text: 'first' });
    expect(created.seq).toBe(1);
    await expect(store.createTask(record(id), { type: 'agent_message', text: 'again' })).rejects.toThrow(/already exists/);
    const updated = await store.patchTask(id, { threadTs: '1.2', cardTs: '1.2' });
    expect(updated).toMatchObject({ status: 'queued', threadTs: '1.2', cardTs: '1.2' });
    expect((await store.getTask(id))?.threadTs).toBe('1.2');
    expect(await store.patchTask('zzzzzzzz', { cardTs: '1' })).toBeUndefined();
    await store.linkThread('C1', '1.2', id);
    expect(await store.taskForThread('C1', '1.2')).toBe(id);
    expect(await store.taskForThread('C1', '9.9')).toBeUndefined();
  });

  it('stores a turn\'s diff beside its events', async () => {
    const { store, redis, prefix } = setup();
    const id = newTaskId();
    await store.saveDiff(id, 2, 'diff --git a/x b/x\n');
    expect(await store.readDiff(id, 2)).toBe('diff --git a/x b/x\n');
    expect(await store.readDiff(id, 1)).toBeUndefined();
    expect(await redis.ttl(`${prefix}:task:${id}:diff:2`)).toBeGreaterThan(RETENTION_SEC - 60);
  });

  it('rejects a corrupted record on read instead of trusting it', async () => {
    const { store, redis, prefix } = setup();
    await redis.set(`${prefix}:task:abcdefgh`, JSON.stringify({ id: 'abcdefgh', status: 'exploded' }));
    await expect(store.getTask('abcdefgh')).rejects.toThrow();
  });

  it('stamps events with increasing sequence numbers and reads them back', async () => {
    const { store } = setup();
    const id = newTaskId();
    const sink = new RedisEventSink(store, id);
    const seen: number[] = [];
    seen.push((await sink.emit({ type: 'agent_message', text: 'hello' })).seq);
    seen.push((await sink.emit({ type: 'plan_updated', steps: [{ step: 'a', status: 'pending' }] })).seq);
    seen.push((await sink.emit({ type: 'task_cancelled', by: 'U1' })).seq);
    expect(seen).toEqual([1, 2, 3]);
    const events = await store.readEvents(id);
    expect(events.map((e) => e.type)).toEqual(['agent_message', 'plan_updated', 'task_cancelled']);
  });

  it('keeps stream order and sequence numbers in step when many processes append at once', async () => {
    const { store, prefix } = setup();
    const others = Array.from({ length: 4 }, () => new Redis(REDIS_URL));
    cleanups.push(async () => others.forEach((r) => r.disconnect()));
    const id = newTaskId();
    const writers = others.map((r) => new TaskStore(r, prefix));
    await Promise.all(writers.flatMap((w, i) => Array.from({ length: 25 }, (_, j) => w.appendEvent(id, { type: 'agent_message', text: `${i}-${j}` }))));
    const seqs = (await store.readEvents(id)).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('delivers operations to a blocked reader as soon as they are written', async () => {
    const { store } = setup();
    const blocking = new Redis(REDIS_URL);
    cleanups.push(async () => blocking.disconnect());
    const id = newTaskId();
    const source = new RedisOpSource(store, id, blocking, await store.lastOpId(id));
    const pending = source.next();
    await store.appendOp(id, { type: 'steer', text: 'use the v2 API', by: 'U1' });
    const op = await pending;
    expect(op).toMatchObject({ type: 'steer', text: 'use the v2 API', taskId: id });
    await store.appendOp(id, { type: 'interrupt', by: 'U1' });
    await store.appendOp(id, { type: 'cancel', by: 'U1' });
    expect((await source.drain()).map((o) => o.type)).toEqual(['interrupt', 'cancel']);
    const controller = new AbortController();
    const waiting = source.next(controller.signal);
    controller.abort();
    expect(await waiting).toBeUndefined();
  });

  it('gives a resumed turn only the operations it has not handled yet', async () => {
    const { store } = setup();
    const id = newTaskId();
    const a = await store.appendOp(id, { type: 'steer', text: 'applied already', by: 'U1' });
    await store.appendOp(id, { type: 'interrupt', by: 'U1' });
    await store.appendEvent(id, { type: 'steering_applied', opIds: [a.opId] });
    await store.appendEvent(id, { type: 'task_interrupted', by: 'U1' });
    await new Promise((r) => setTimeout(r, 5));
    await store.appendOp(id, { type: 'steer', text: 'not yet applied', by: 'U1' });
    await store.appendOp(id, { type: 'interrupt', by: 'U2' });
    const blocking = new Redis(REDIS_URL);
    cleanups.push(async () => blocking.disconnect());
    const source = new RedisOpSource(store, id, blocking, '0', undefined, handledOps(await store.readEvents(id)));
    const ops = await source.drain();
    expect(ops.map((o) => [o.type, o.type === 'steer' ? o.text : o.by])).toEqual([
      ['steer', 'not yet applied'],
      ['interrupt', 'U2'],
    ]);
  });

  it('de-duplicates by key and saves conversations, parsed on the way back', async () => {
    const { store, redis, prefix } = setup();
    expect(await store.markSeen('Ev1')).toBe(true);
    expect(await store.markSeen('Ev1')).toBe(false);
    await store.save('abcdefgh', { items: [{ role: 'user', content: 'x' }], lastSeq: 3, turn: 1, usage: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 2 } });
    expect((await store.load('abcdefgh'))?.lastSeq).toBe(3);
    expect(await store.load('zzzzzzzz')).toBeUndefined();
    // Append-only: a later save writes only what was added.
    const usage = { inputTokens: 1, cachedInputTokens: 0, outputTokens: 2 };
    const items = [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }, { role: 'user', content: 'c' }];
    await store.save('abcdefgh', { items: items.slice(0, 2), lastSeq: 4, turn: 1, usage }, 0);
    await store.save('abcdefgh', { items, lastSeq: 5, turn: 1, usage }, 2);
    expect(await redis.llen(`${prefix}:task:abcdefgh:conv:items`)).toBe(3);
    expect(await store.load('abcdefgh')).toMatchObject({ items, lastSeq: 5 });
    // A save that does not match what is stored (another process rewrote it) writes it whole.
    await store.save('abcdefgh', { items: items.slice(0, 1), lastSeq: 6, turn: 2, usage }, 3);
    expect(await store.load('abcdefgh')).toMatchObject({ items: items.slice(0, 1), lastSeq: 6, turn: 2 });
    // A conversation that does not parse is not trusted: the task starts a new one.
    await redis.set(`${prefix}:task:abcdefgh:conv`, JSON.stringify({ items: 'nope', lastSeq: 3 }));
    expect(await store.load('abcdefgh')).toBeUndefined();
  });
});
