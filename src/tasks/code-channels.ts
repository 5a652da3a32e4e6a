import type { Redis } from 'ioredis';
import { RETENTION_SEC } from './task-store.js';

/*
 * The Slack Code channels of tasks (config slack.codeChannels), in Redis:
 *   <p>:code-channel:<channel>              id of the task whose code channel this is
 *   <p>:code-channel:<channel>:approval:<a> ts of approval <a>'s prompt in that channel
 *   <p>:task:<id>:code-channel              the task's code channel id
 *   <p>:code-channels                       code channels by when to look at their retention (ms)
 * A listener maps a message, a click or a native Stop in a code channel to its task with
 * `taskOf`; the renderer that created the channel writes the rest. A code channel is archived
 * once its task's record is gone (the retention of an ended task: RETENTION_SEC), by whichever
 * process claims it first (`claimArchive`).
 */
export class CodeChannels {
  private readonly key: (...parts: string[]) => string;

  constructor(
    private readonly redis: Redis,
    prefix = 'codex',
  ) {
    this.key = (...parts) => [prefix, ...parts].join(':');
  }

  /** Links `channel` and `taskId` both ways and schedules a look at the task's retention. */
  async link(taskId: string, channel: string): Promise<void> {
    await this.redis
      .multi()
      .set(this.key('code-channel', channel), taskId)
      .set(this.key('task', taskId, 'code-channel'), channel)
      .zadd(this.key('code-channels'), String(Date.now() + RETENTION_SEC * 1000), channel)
      .exec();
  }

  async taskOf(channel: string): Promise<string | undefined> {
    return (await this.redis.get(this.key('code-channel', channel))) ?? undefined;
  }

  async channelOf(taskId: string): Promise<string | undefined> {
    return (await this.redis.get(this.key('task', taskId, 'code-channel'))) ?? undefined;
  }

  async saveApproval(channel: string, approvalId: string, ts: string): Promise<void> {
    await this.redis.set(this.key('code-channel', channel, 'approval', approvalId), ts, 'EX', RETENTION_SEC);
  }

  async approvalTs(channel: string, approvalId: string): Promise<string | undefined> {
    return (await this.redis.get(this.key('code-channel', channel, 'approval', approvalId))) ?? undefined;
  }

  /**
   * Code channels whose task's retention may have ended by `now`: each with its task's id and
   * the milliseconds its record has left (-2: gone, -1: kept, running again).
   */
  async due(now = Date.now()): Promise<Array<{ channel: string; taskId?: string; ttlMs: number }>> {
    const channels = await this.redis.zrangebyscore(this.key('code-channels'), '-inf', String(now), 'LIMIT', 0, 50);
    return Promise.all(
      channels.map(async (channel) => {
        const taskId = await this.taskOf(channel);
        const ttlMs = taskId ? await this.redis.pttl(this.key('task', taskId)) : -2;
        return { channel, ...(taskId ? { taskId } : {}), ttlMs };
      }),
    );
  }

  /** Looks at `channel` again at `at`; `claimed`: it was claimed for archiving (and that failed). */
  async recheckAt(channel: string, at: number, claimed = false): Promise<void> {
    if (claimed) await this.redis.zadd(this.key('code-channels'), String(at), channel);
    else await this.redis.zadd(this.key('code-channels'), 'XX', String(at), channel);
  }

  /** True for exactly one caller: the one that archives `channel`. */
  async claimArchive(channel: string): Promise<boolean> {
    return (await this.redis.zrem(this.key('code-channels'), channel)) === 1;
  }

  /** Forgets an archived channel (its task is gone). */
  async forget(channel: string, taskId?: string): Promise<void> {
    const keys = [this.key('code-channel', channel), ...(taskId ? [this.key('task', taskId, 'code-channel')] : [])];
    await this.redis.del(...keys);
  }
}
