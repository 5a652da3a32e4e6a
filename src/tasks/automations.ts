import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { taskIdSchema } from './task-record.js';

/*
 * Automations: a prompt run on a schedule as an ordinary task in the channel where it was
 * scheduled, owned by whoever scheduled it. Each is a BullMQ job scheduler (cron pattern and
 * time zone) on its own queue, so every occurrence is one job, run once by whichever process
 * takes it, however many workers and app replicas there are; no timer loop of ours.
 *   <p>:automation:<id>   the automation (zod)
 *   <p>:automations       their ids
 */

export const AUTOMATION_QUEUE = 'codex-automations';

export const automationSchema = z.object({
  id: taskIdSchema,
  cron: z.string(),
  timezone: z.string(),
  prompt: z.string().min(1),
  repo: z.string(),
  channel: z.string(),
  owner: z.string(),
  teamId: z.string().optional(),
  createdAt: z.string(),
  paused: z.boolean().default(false),
  /** Failed runs in a row; three pause the automation. */
  failures: z.number().int().min(0).default(0),
  /** Occurrences skipped because the previous run was still going. */
  skipped: z.number().int().min(0).default(0),
  lastTaskId: z.string().optional(),
  /** What each run asks for, when named at scheduling (`--model`, `--personality`); absent: the author's defaults at run time. */
  requested: z.object({ model: z.string().optional(), personality: z.string().optional(), pullRequest: z.boolean().optional() }).optional(),
});
export type Automation = z.infer<typeof automationSchema>;

export const occurrenceSchema = z.object({ automationId: taskIdSchema });

export class Automations {
  readonly queue: Queue;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    connection: ConnectionOptions,
    bullPrefix: string,
  ) {
    this.queue = new Queue(AUTOMATION_QUEUE, { connection, prefix: bullPrefix, skipWaitingForReady: true, defaultJobOptions: { removeOnComplete: 100, removeOnFail: 100 } });
  }

  private key(id: string): string {
    return `${this.prefix}:automation:${id}`;
  }

  /** Stores the automation and (re)creates its job scheduler. */
  async schedule(a: Automation): Promise<void> {
    await this.redis.multi().set(this.key(a.id), JSON.stringify(automationSchema.parse(a))).sadd(`${this.prefix}:automations`, a.id).exec();
    await this.queue.upsertJobScheduler(a.id, { pattern: a.cron, tz: a.timezone }, { name: 'occurrence', data: { automationId: a.id } });
  }

  async get(id: string): Promise<Automation | undefined> {
    const raw = await this.redis.get(this.key(id));
    if (raw === null) return undefined;
    const parsed = automationSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }

  async update(id: string, patch: Partial<Automation>): Promise<Automation | undefined> {
    const current = await this.get(id);
    if (!current) return undefined;
    const next = automationSchema.parse({ ...current, ...patch });
    await this.redis.set(this.key(id), JSON.stringify(next));
    return next;
  }

  async list(): Promise<Automation[]> {
    const ids = await this.redis.smembers(`${this.prefix}:automations`);
    return (await Promise.all(ids.map((id) => this.get(id)))).filter((a): a is Automation => a !== undefined).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Removes the automation and its scheduler; runs already started go on. */
  async remove(id: string): Promise<void> {
    await this.queue.removeJobScheduler(id);
    await this.redis.multi().del(this.key(id)).srem(`${this.prefix}:automations`, id).exec();
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
