import type { Redis } from 'ioredis';
import { RETENTION_SEC } from './task-store.js';

/*
 * How far the renderers have got with each task's events, shared by every process:
 *   <p>:task:<id>:rendered       the newest event seq whose output has been delivered to Slack
 *   <p>:task:<id>:render-lease   the process rendering the task now (a token with a short expiry)
 *   <p>:task:<id>:render-inflight the event whose message was being posted (it may or may not have landed)
 *   <p>:render-pending           ids of tasks that may have events not rendered yet
 * One renderer per task at a time (the lease); a renderer that dies is replaced once its lease
 * expires, and the new one starts after `rendered`, so nothing is posted twice or lost.
 */

/** SET KEYS[1] to ARGV[1] only if that raises it. */
const RAISE = `local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
return 1`;

/** PEXPIRE KEYS[1] by ARGV[2] ms, or DEL it (ARGV[2] = 0), only while it holds token ARGV[1]. */
const IF_HOLDER = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`;

/** SREM ARGV[2] from KEYS[2] only while the task's last seq (KEYS[1]) is still ARGV[1]. */
const CLEAR_IF_CURRENT = `if tonumber(redis.call('GET', KEYS[1]) or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('SREM', KEYS[2], ARGV[2])
return 1`;

export class RenderProgress {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'codex',
  ) {}

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  async renderedSeq(taskId: string): Promise<number> {
    return Number((await this.redis.get(this.key('task', taskId, 'rendered'))) ?? 0);
  }

  async setRendered(taskId: string, seq: number): Promise<void> {
    await this.redis.eval(RAISE, 1, this.key('task', taskId, 'rendered'), String(seq), String(RETENTION_SEC));
  }

  /** The event whose message is being posted now (set before the post, see TaskRenderer). */
  async inFlightSeq(taskId: string): Promise<number> {
    return Number((await this.redis.get(this.key('task', taskId, 'render-inflight'))) ?? 0);
  }

  async setInFlight(taskId: string, seq: number): Promise<void> {
    await this.redis.set(this.key('task', taskId, 'render-inflight'), String(seq), 'EX', RETENTION_SEC);
  }

  /** The newest sequence number any event of the task has. */
  async lastSeq(taskId: string): Promise<number> {
    return Number((await this.redis.get(this.key('task', taskId, 'seq'))) ?? 0);
  }

  async pendingTaskIds(): Promise<string[]> {
    return this.redis.smembers(this.key('render-pending'));
  }

  /** Says the task has nothing left to render, unless an event newer than `seq` came meanwhile. */
  async clearPending(taskId: string, seq: number): Promise<boolean> {
    return (await this.redis.eval(CLEAR_IF_CURRENT, 2, this.key('task', taskId, 'seq'), this.key('render-pending'), String(seq), taskId)) === 1;
  }

  async takeLease(taskId: string, token: string, ms: number): Promise<boolean> {
    return (await this.redis.set(this.key('task', taskId, 'render-lease'), token, 'PX', ms, 'NX')) === 'OK';
  }

  async renewLease(taskId: string, token: string, ms: number): Promise<boolean> {
    return (await this.redis.eval(IF_HOLDER, 1, this.key('task', taskId, 'render-lease'), token, String(ms))) === 1;
  }

  async releaseLease(taskId: string, token: string): Promise<void> {
    await this.redis.eval(IF_HOLDER, 1, this.key('task', taskId, 'render-lease'), token, '0');
  }

  /**
   * Waits until the task's output up to `seq` has been delivered, or `timeoutMs` has passed
   * (a renderer that cannot reach Slack must not hold a worker for ever). True when delivered.
   */
  async waitRendered(taskId: string, seq: number, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if ((await this.renderedSeq(taskId)) >= seq) return true;
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
