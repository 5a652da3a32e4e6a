import type { Redis } from 'ioredis';

/*
 * Slack's rate limits are per workspace (chat.update, about 50 a minute) and per channel
 * (chat.postMessage, about one a second), whatever process sends. So the budget lives in
 * Redis and every worker and every task draws from it:
 *   - a sliding-window log per bucket (a sorted set of send times) caps the calls;
 *   - each task's share is the bucket divided by the tasks drawing from it right now
 *     (a sorted set of task heartbeats), so one busy task cannot starve the others;
 *   - a 429 from Slack pauses the whole bucket for its Retry-After, for every process.
 */

const ACQUIRE = `
local log, pause, now, limit, window, member = KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local paused = redis.call('PTTL', pause)
if paused > 0 then return paused end
redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
local count = redis.call('ZCARD', log)
if count < limit then
  redis.call('ZADD', log, now, member)
  redis.call('PEXPIRE', log, window)
  return 0
end
local oldest = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`;

export interface BucketSpec {
  /** Redis key naming the bucket, e.g. `updates:T123` or `posts:C456`. */
  name: string;
  limit: number;
  windowMs: number;
}

export class RateBudget {
  private seq = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'codex',
    private readonly sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  ) {}

  private key(...parts: string[]): string {
    return [this.prefix, 'slack-budget', ...parts].join(':');
  }

  /** Takes one call from the bucket, or says how many ms to wait before asking again. */
  async tryAcquire(bucket: BucketSpec): Promise<number> {
    const member = `${Date.now()}-${process.pid}-${this.seq++}-${Math.random()}`;
    const wait = await this.redis.eval(ACQUIRE, 2, this.key('log', bucket.name), this.key('pause', bucket.name), Date.now(), bucket.limit, bucket.windowMs, member);
    return Number(wait);
  }

  /** Waits until the bucket grants a call. `signal` aborts the wait (the call is then not made). */
  async acquire(bucket: BucketSpec, signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      const wait = await this.tryAcquire(bucket);
      if (wait === 0) return true;
      await this.sleep(Math.min(wait + Math.floor(Math.random() * 50), 5_000));
    }
  }

  /** Pauses the bucket for every process, after Slack answered 429 with Retry-After. */
  async pause(bucket: BucketSpec, ms: number): Promise<void> {
    await this.redis.set(this.key('pause', bucket.name), '1', 'PX', Math.max(1, Math.ceil(ms)));
  }

  /** Records that `taskId` draws from the bucket now; call at least every `ttlMs`. */
  async heartbeat(bucket: BucketSpec, taskId: string, ttlMs = 30_000): Promise<void> {
    const key = this.key('users', bucket.name);
    const now = Date.now();
    await this.redis.multi().zadd(key, now, taskId).zremrangebyscore(key, '-inf', now - ttlMs).pexpire(key, ttlMs).exec();
  }

  async leave(bucket: BucketSpec, taskId: string): Promise<void> {
    await this.redis.zrem(this.key('users', bucket.name), taskId);
  }

  /**
   * The least time between two calls of one task so that every task drawing from the bucket
   * gets an equal share: window × users ÷ limit.
   */
  async fairInterval(bucket: BucketSpec): Promise<number> {
    const users = Math.max(1, await this.redis.zcard(this.key('users', bucket.name)));
    return Math.ceil((bucket.windowMs * users) / bucket.limit);
  }
}
