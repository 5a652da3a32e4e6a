import { afterEach, describe, expect, it } from 'vitest';
import { RateBudget } from '../../src/slack-client/rate-budget.js';
import { testRedis } from '../helpers/redis.js';

/* The shared Slack rate budget on real Redis: the window cap, 429 pauses and fair shares. */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function budget() {
  const r = testRedis();
  cleanups.push(r.cleanup);
  return { r, a: new RateBudget(r.redis, r.prefix), b: new RateBudget(r.redis, r.prefix) };
}

describe('RateBudget', () => {
  it('grants at most `limit` calls per window across every holder, then says how long to wait', async () => {
    const { a, b } = budget();
    const bucket = { name: 'updates:T1', limit: 3, windowMs: 60_000 };
    expect([await a.tryAcquire(bucket), await b.tryAcquire(bucket), await a.tryAcquire(bucket)]).toEqual([0, 0, 0]);
    const wait = await b.tryAcquire(bucket);
    expect(wait).toBeGreaterThan(55_000);
    expect(wait).toBeLessThanOrEqual(60_000);
    // Another bucket (another channel) is not affected.
    expect(await a.tryAcquire({ ...bucket, name: 'posts:C2' })).toBe(0);
  });

  it('pauses a bucket for everyone after a 429', async () => {
    const { a, b } = budget();
    const bucket = { name: 'updates:T1', limit: 50, windowMs: 60_000 };
    await a.pause(bucket, 2_000);
    const wait = await b.tryAcquire(bucket);
    expect(wait).toBeGreaterThan(1_500);
    expect(wait).toBeLessThanOrEqual(2_000);
  });

  it('divides the bucket fairly between the tasks drawing from it', async () => {
    const { a, b } = budget();
    const bucket = { name: 'updates:T1', limit: 50, windowMs: 60_000 };
    await a.heartbeat(bucket, 'task1');
    expect(await a.fairInterval(bucket)).toBe(1_200);
    await b.heartbeat(bucket, 'task2');
    await b.heartbeat(bucket, 'task3');
    expect(await a.fairInterval(bucket)).toBe(3_600);
    await b.leave(bucket, 'task3');
    expect(await a.fairInterval(bucket)).toBe(2_400);
  });
});
