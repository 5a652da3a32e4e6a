import { afterEach, describe, expect, it } from 'vitest';
import { message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { shown, startTask, waitStatus } from '../helpers/thread.js';

/*
 * A task whose job is gone without the task ending (its worker died and BullMQ's stalled-job
 * checker failed the job) is failed by the workers' sweep, with a sentence in the thread.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

describe('the sweep of abandoned tasks', () => {
  it('fails a task that looks busy but has no job, and leaves one updated a moment ago alone', { timeout: 60_000 }, async () => {
    e = await startE2E({ script: [reply(message('Done.'))] });
    const { taskId, card } = await startTask(e, 'a task whose worker dies');
    const done = await waitStatus(e, taskId, 'done');
    // What a dead worker leaves: the record says working, and the job is gone.
    await e.redis.set(`${e.prefix}:task:${taskId}`, JSON.stringify({ ...done, status: 'working', endedAt: undefined, updatedAt: new Date(Date.now() - 10 * 60_000).toISOString() }));
    await e.redis.sadd(`${e.prefix}:active`, taskId);
    // The sweep runs periodically; it leaves alone a task this worker still runs (the finished
    // turn may still be cleaning up), so sweep as the interval would until the task is failed.
    for (let i = 0; i < 100 && (await e.store.getTask(taskId))?.status !== 'failed'; i++) {
      await e.codex.worker!.sweep();
      await new Promise((r) => setTimeout(r, 200));
    }
    const failed = await waitStatus(e, taskId, 'failed', 10_000);
    expect(failed.error?.code).toBe('worker_lost');
    await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, card.ts).find((m) => shown(m).includes('stopped unexpectedly')), 20_000);
    expect(await e.redis.sismember(`${e.prefix}:active`, taskId)).toBe(0);

    // A task updated a moment ago (a follow-up being queued) is not touched.
    await e.redis.set(`${e.prefix}:task:${taskId}`, JSON.stringify({ ...failed, status: 'queued', turn: 9, updatedAt: new Date().toISOString() }));
    await e.redis.sadd(`${e.prefix}:active`, taskId);
    await e.codex.worker!.sweep();
    expect((await e.store.getTask(taskId))?.status).toBe('queued');
  });
});
