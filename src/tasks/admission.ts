import type { Redis } from 'ioredis';

/*
 * Caps on running tasks (config `limits.maxRunningTasks` for the installation and
 * `limits.maxRunningTasksPerUser`), with a line that keeps its order. BullMQ's open-source
 * queue has a global concurrency but no per-group limit, so this part lives in Redis: a worker
 * that takes a job asks to be admitted; a task over a cap does not start, and its job goes back
 * to the queue (delayed) without holding a worker slot, keeping its place in the line.
 *
 *   <p>:line          tasks waiting for a slot, by when they first asked (zset)
 *   <p>:line-owner    their owners (hash)
 *   <p>:line-seen     when each last asked (hash): a task that stops asking (cancelled, its job
 *                     gone) leaves the line after LINE_STALE_MS instead of blocking it
 *   <p>:line-place    the place last told to each (hash), so a move is an event, a stay is not
 *   <p>:running       admitted tasks, scored by when their lease ends (zset, renewed while
 *                     they run; a dead worker's slot frees itself)
 *   <p>:running-owner their owners (hash)
 *
 * Fairness: the line is walked from its head; every earlier task that a cap would let start is
 * counted as started first, so a later task starts only with capacity left after all of them.
 * Nobody starves: the head of the line is admitted as soon as its caps allow.
 */

export const LINE_STALE_MS = 5_000;

const ADMIT = `
local now = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
local maxRunning = tonumber(ARGV[5])
local maxPerUser = tonumber(ARGV[6])
local stale = tonumber(ARGV[7])
local id = ARGV[1]
for _, r in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now)) do
  redis.call('ZREM', KEYS[5], r); redis.call('HDEL', KEYS[6], r)
end
if redis.call('ZSCORE', KEYS[5], id) then
  redis.call('ZADD', KEYS[5], now + lease, id)
  return { 1, 0, 0 }
end
redis.call('ZADD', KEYS[1], 'NX', now, id)
redis.call('HSET', KEYS[2], id, ARGV[2])
redis.call('HSET', KEYS[3], id, now)
local running = redis.call('ZCARD', KEYS[5])
local counts = {}
for _, r in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do
  local o = redis.call('HGET', KEYS[6], r) or ''
  counts[o] = (counts[o] or 0) + 1
end
local place = 0
for _, w in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local seen = tonumber(redis.call('HGET', KEYS[3], w) or '0')
  if w ~= id and seen < now - stale then
    redis.call('ZREM', KEYS[1], w); redis.call('HDEL', KEYS[2], w); redis.call('HDEL', KEYS[3], w); redis.call('HDEL', KEYS[4], w)
  else
    place = place + 1
    local o = redis.call('HGET', KEYS[2], w) or ''
    local fits = (maxRunning == 0 or running < maxRunning) and (maxPerUser == 0 or (counts[o] or 0) < maxPerUser)
    if w == id then
      if fits then
        redis.call('ZREM', KEYS[1], id); redis.call('HDEL', KEYS[2], id); redis.call('HDEL', KEYS[3], id); redis.call('HDEL', KEYS[4], id)
        redis.call('ZADD', KEYS[5], now + lease, id); redis.call('HSET', KEYS[6], id, ARGV[2])
        return { 1, 0, 0 }
      end
      local before = tonumber(redis.call('HGET', KEYS[4], id) or '0')
      redis.call('HSET', KEYS[4], id, place)
      return { 0, place, before ~= place and 1 or 0 }
    end
    if fits then
      running = running + 1
      counts[o] = (counts[o] or 0) + 1
    end
  end
end
return { 0, place, 0 }`;

export interface Caps {
  /** Running tasks of the whole installation; 0 = no cap. */
  maxRunning: number;
  /** Running tasks of one person; 0 = no cap. */
  maxPerUser: number;
}

export type Admission = { admitted: true } | { admitted: false; place: number; moved: boolean };

export class AdmissionControl {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly caps: Caps,
    /** A running task's slot is held this long past its last renewal (a dead worker's frees itself). */
    private readonly leaseMs = 90_000,
  ) {}

  get enabled(): boolean {
    return this.caps.maxRunning > 0 || this.caps.maxPerUser > 0;
  }

  private keys(): string[] {
    return ['line', 'line-owner', 'line-seen', 'line-place', 'running', 'running-owner'].map((k) => `${this.prefix}:${k}`);
  }

  /** Admits `taskId` if its caps allow and no earlier task in the line goes first; else its place. */
  async admit(taskId: string, owner: string, now = Date.now()): Promise<Admission> {
    if (!this.enabled) return { admitted: true };
    const [ok, place, moved] = (await this.redis.eval(ADMIT, 6, ...this.keys(), taskId, owner, String(now), String(this.leaseMs), String(this.caps.maxRunning), String(this.caps.maxPerUser), String(LINE_STALE_MS))) as [number, number, number];
    return ok === 1 ? { admitted: true } : { admitted: false, place, moved: moved === 1 };
  }

  /** Keeps a running task's slot while it runs. */
  async renew(taskId: string, now = Date.now()): Promise<void> {
    if (!this.enabled) return;
    await this.redis.zadd(`${this.prefix}:running`, 'XX', String(now + this.leaseMs), taskId);
  }

  /** Frees a task's slot (and its place in the line). */
  async release(taskId: string): Promise<void> {
    if (!this.enabled) return;
    const [line, lineOwner, lineSeen, linePlace, running, runningOwner] = this.keys() as [string, string, string, string, string, string];
    await this.redis.multi().zrem(running, taskId).hdel(runningOwner, taskId).zrem(line, taskId).hdel(lineOwner, taskId).hdel(lineSeen, taskId).hdel(linePlace, taskId).exec();
  }

  /** The tasks running now, with their owners, read as one snapshot (for tests and the App Home). */
  async running(): Promise<Array<{ taskId: string; owner: string }>> {
    const [, , , , running, runningOwner] = this.keys() as [string, string, string, string, string, string];
    const replies = (await this.redis.multi().zrange(running, '0', '-1').hgetall(runningOwner).exec()) ?? [];
    const ids = (replies[0]?.[1] as string[] | undefined) ?? [];
    const owners = (replies[1]?.[1] as Record<string, string> | undefined) ?? {};
    return ids.map((taskId) => ({ taskId, owner: owners[taskId] ?? '' }));
  }
}
