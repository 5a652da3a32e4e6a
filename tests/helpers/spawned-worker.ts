import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { E2E } from './e2e.js';

/*
 * A worker process (`CODEX_ROLE=worker`, `src/app.ts` through tsx, as `npm run worker` runs the
 * build) against an E2E installation whose app runs in the test (`CODEX_ROLE=app`): same Redis
 * and prefix, same fakes, same repo config, its own data directory.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

export interface WorkerProcess {
  proc: ChildProcess;
  dataDir: string;
  output(): string;
  exited: Promise<number | null>;
  /** Resident memory in bytes (VmRSS of the process tsx runs the app in). */
  rssBytes(): number;
  /** SIGKILL if still running, then removes the data directory. */
  dispose(): Promise<void>;
}

export function startWorkerProcess(e: E2E, env: Record<string, string> = {}): WorkerProcess {
  const dataDir = mkdtempSync(join(tmpdir(), 'codex-worker-proc-'));
  let out = '';
  const proc = spawn(TSX, ['src/app.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? '/tmp',
      SLACK_BOT_TOKEN: e.fake.token,
      SLACK_SIGNING_SECRET: 'e2e-signing-secret',
      SLACK_API_URL: e.fake.apiUrl,
      OPENAI_API_KEY: e.config.env.OPENAI_API_KEY ?? '',
      OPENAI_BASE_URL: e.model.url,
      CODEX_MODEL: 'test-model',
      REDIS_URL: e.config.env.REDIS_URL,
      CODEX_CONFIG: e.config.env.CODEX_CONFIG,
      CODEX_REDIS_PREFIX: e.prefix,
      CODEX_ROLE: 'worker',
      WORKER_CONCURRENCY: '1',
      LOG_LEVEL: 'info',
      ...env,
      CODEX_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return {
    proc,
    dataDir,
    output: () => out,
    exited,
    rssBytes: () => treeRss(proc.pid!),
    async dispose() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** VmRSS of a process and its descendants (tsx starts node as a child). */
function treeRss(pid: number): number {
  const read = (p: number) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      return 0;
    }
  };
  const children = (p: number): number[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    total += read(p);
    stack.push(...children(p));
  }
  return total;
}
