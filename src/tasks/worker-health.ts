import type { Redis } from 'ioredis';
import { z } from 'zod';

/*
 * Workers announce themselves in Redis every few seconds with whether their Docker engine
 * answers. The app reads this before accepting a task, so a person learns at once that tasks
 * cannot run (Docker down) instead of watching a card that never moves.
 */

const heartbeatSchema = z.object({ id: z.string(), docker: z.boolean(), at: z.number(), concurrency: z.number() });
export type WorkerHeartbeat = z.infer<typeof heartbeatSchema>;

export const HEARTBEAT_TTL_MS = 15_000;

/*
 * One hash per installation (`<prefix>:workers`, field = worker id), so reading every worker is
 * one HGETALL, whatever else the keyspace holds; stale entries are skipped and cleaned up.
 */
export async function writeHeartbeat(redis: Redis, prefix: string, beat: WorkerHeartbeat): Promise<void> {
  await redis.hset(`${prefix}:workers`, beat.id, JSON.stringify(beat));
}

export async function removeHeartbeat(redis: Redis, prefix: string, id: string): Promise<void> {
  await redis.hdel(`${prefix}:workers`, id);
}

export async function readHeartbeats(redis: Redis, prefix: string, now = Date.now()): Promise<WorkerHeartbeat[]> {
  const all = await redis.hgetall(`${prefix}:workers`);
  const live: WorkerHeartbeat[] = [];
  const stale: string[] = [];
  for (const [id, value] of Object.entries(all)) {
    const parsed = heartbeatSchema.safeParse(JSON.parse(value));
    if (parsed.success && now - parsed.data.at <= HEARTBEAT_TTL_MS) live.push(parsed.data);
    else stale.push(id);
  }
  if (stale.length) void redis.hdel(`${prefix}:workers`, ...stale).catch(() => undefined);
  return live;
}

export type Availability = 'ready' | 'no_workers' | 'docker_down';

/** Ready when some worker's Docker answers; `no_workers` still accepts the task (it waits in the queue). */
export function availability(beats: WorkerHeartbeat[]): Availability {
  if (beats.length === 0) return 'no_workers';
  return beats.some((b) => b.docker) ? 'ready' : 'docker_down';
}
