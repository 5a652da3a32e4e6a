import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';

/*
 * What every benchmark needs: a scratch directory, a real git upstream, a Redis key prefix of
 * its own, and cleanup of all three.
 */

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SANDBOX_IMAGE = process.env.CODEX_SANDBOX_IMAGE ?? 'codex-sandbox:latest';
export const SIGNING_SECRET = 'bench-signing-secret';

const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
}

export function scratchDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `codex-bench-${name}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A git repository of `files` small source files over `commits` commits, on `main`: a stand-in
 * for a modest real project.
 */
export function makeUpstream(root: string, files: number, commits = 3): string {
  const dir = join(root, 'upstream');
  mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  for (let c = 0; c < commits; c++) {
    for (let i = 0; i < files; i++) {
      if (c > 0 && i % 7 !== c) continue;
      const path = join(dir, 'src', `m${i % 20}`, `file${i}.ts`);
      mkdirSync(dirname(path), { recursive: true });
      const lines = Array.from({ length: 60 }, (_, l) => `export const v${l} = ${JSON.stringify(`${c}-${i}-${l}-${randomBytes(6).toString('hex')}`)};`);
      writeFileSync(path, `${lines.join('\n')}\n`);
    }
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', `commit ${c + 1}`);
  }
  return dir;
}

export function newPrefix(): string {
  return `bench${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under `prefix` (task records, budgets, the BullMQ queue). */
export async function deleteKeys(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Fails with a sentence when Redis does not answer, before anything is started. */
export async function checkRedis(): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2_000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    throw new Error(`Redis at ${REDIS_URL} does not answer (${(e as Error).message}); start it or set REDIS_URL.`);
  } finally {
    redis.disconnect();
  }
}

/** Builds the sandbox image the way the tests do when it is missing. */
export function ensureSandboxImage(): void {
  try {
    execFileSync('docker', ['image', 'inspect', SANDBOX_IMAGE], { stdio: 'ignore' });
  } catch {
    process.stderr.write(`building ${SANDBOX_IMAGE} (npm run sandbox:build)…\n`);
    execFileSync('npm', ['run', 'sandbox:build'], { stdio: 'inherit' });
  }
}
