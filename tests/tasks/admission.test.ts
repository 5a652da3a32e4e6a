import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { AdmissionControl } from '../../src/tasks/admission.js';
import { runAdmitted } from '../../src/worker/admit-job.js';
import { deleteKeys, REDIS_URL, testRedis } from '../helpers/redis.js';

/*
 * The running-task caps under a burst, on real Redis and real BullMQ workers (the same
 * runAdmitted wrapper the task worker uses, around a short piece of work): no sample ever
 * shows more running than a cap allows, every task runs (nobody starves), and a person's
 * queue does not hold up the others.
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('running-task caps', () => {
  it('holds both caps under a burst of 100 tasks from 5 people, and runs every one', { timeout: 120_000 }, async () => {
    const { redis, prefix, cleanup } = testRedis();
    const bull = `${prefix}-bull`;
    const name = `caps-${randomBytes(3).toString('hex')}`;
    const caps = { maxRunning: 4, maxPerUser: 2 };
    const admission = new AdmissionControl(redis, prefix, caps);
    const owners = new Map<string, string>();
    const done: string[] = [];
    const samples: Array<{ total: number; perUser: Map<string, number> }> = [];
    const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix: bull });
    const workers = [0, 1].map(
      () =>
        new Worker(
          name,
          async (job, token) =>
            runAdmitted({
              admission,
              job,
              token,
              taskId: job.data.taskId as string,
              owner: async () => owners.get(job.data.taskId as string),
              onPlace: async () => undefined,
              run: async () => {
                await new Promise((r) => setTimeout(r, 30 + Math.floor(Math.random() * 120)));
                done.push(job.data.taskId as string);
              },
            }),
          { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix: bull, concurrency: 20 },
        ),
    );
    cleanups.push(async () => {
      await Promise.all(workers.map((w) => w.close()));
      await queue.close();
      await deleteKeys(redis, bull);
      await cleanup();
    });
    const sampler = setInterval(() => {
      void admission.running().then((running) => {
        const perUser = new Map<string, number>();
        for (const r of running) perUser.set(r.owner, (perUser.get(r.owner) ?? 0) + 1);
        samples.push({ total: running.length, perUser });
      });
    }, 10);
    // 100 tasks from 5 people, the first person with half of them.
    const ids = Array.from({ length: 100 }, (_, i) => `t${String(i).padStart(3, '0')}`);
    ids.forEach((id, i) => owners.set(id, i < 50 ? 'U1' : `U${2 + (i % 4)}`));
    await queue.addBulk(ids.map((taskId) => ({ name: 'task', data: { taskId }, opts: { jobId: taskId } })));
    const deadline = Date.now() + 100_000;
    while (done.length < ids.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    clearInterval(sampler);

    expect(new Set(done)).toEqual(new Set(ids));
    expect(samples.length).toBeGreaterThan(50);
    expect(Math.max(...samples.map((s) => s.total))).toBeLessThanOrEqual(caps.maxRunning);
    expect(Math.max(...samples.flatMap((s) => [...s.perUser.values()]))).toBeLessThanOrEqual(caps.maxPerUser);
    // The caps were reached: the test exercised them.
    expect(samples.some((s) => s.total === caps.maxRunning)).toBe(true);
    // Others were not held up behind the first person's 50, queued before theirs: their tasks
    // ran alongside from the start (the per-person cap left room), not after all of U1's.
    const firstOther = done.findIndex((id) => owners.get(id) !== 'U1');
    expect(firstOther).toBeLessThan(10);
  });

  it('tells a waiting task its place, and admits the head of the line first', async () => {
    const { redis, prefix, cleanup } = testRedis();
    cleanups.push(cleanup);
    const admission = new AdmissionControl(redis, prefix, { maxRunning: 1, maxPerUser: 0 });
    expect(await admission.admit('a', 'U1', 1000)).toEqual({ admitted: true });
    expect(await admission.admit('b', 'U2', 1001)).toEqual({ admitted: false, place: 1, moved: true });
    expect(await admission.admit('c', 'U3', 1002)).toEqual({ admitted: false, place: 2, moved: true });
    expect(await admission.admit('c', 'U3', 1003)).toEqual({ admitted: false, place: 2, moved: false });
    await admission.release('a');
    // c asks first, but b is ahead of it in the line.
    expect(await admission.admit('c', 'U3', 1004)).toEqual({ admitted: false, place: 2, moved: false });
    expect(await admission.admit('b', 'U2', 1005)).toEqual({ admitted: true });
    await admission.release('b');
    expect(await admission.admit('c', 'U3', 1006)).toEqual({ admitted: true });
  });
});
