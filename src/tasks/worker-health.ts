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

export async function writeHeartbeat(redis: Redis, prefix: string, beat: WorkerHeartbeat): Promise<void> {
  await redis.set(`${prefix}:worker:${beat.id}`, JSON.stringify(beat), 'PX', HEARTBEAT_TTL_MS);
}

export async function removeHeartbeat(redis: Redis, prefix: string, id: string): Promise<void> {
  await redis.del(`${prefix}:worker:${id}`);
}

export async function readHeartbeats(redis: Redis, prefix: string): Promise<WorkerHeartbeat[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:worker:*`, 'COUNT', 200);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values.flatMap((v) => {
    const parsed = v ? heartbeatSchema.safeParse(JSON.parse(v)) : undefined;
    return parsed?.success ? [parsed.data] : [];
  });
}

export type Availability = 'ready' | 'no_workers' | 'docker_down';

/** Ready when some worker's Docker answers; `no_workers` still accepts the task (it waits in the queue). */
export function availability(beats: WorkerHeartbeat[]): Availability {
  if (beats.length === 0) return 'no_workers';
  return beats.some((b) => b.docker) ? 'ready' : 'docker_down';
}
