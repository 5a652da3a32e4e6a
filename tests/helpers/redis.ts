import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A real Redis connection and a key prefix unique to this test; `cleanup` deletes its keys. */
export function testRedis(): { redis: Redis; prefix: string; cleanup: () => Promise<void> } {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `test-${randomBytes(4).toString('hex')}`;
  return {
    redis,
    prefix,
    async cleanup() {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
}

/** Deletes every key under `prefix` (a test's own keys). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}
