import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { E2E } from './e2e.js';

/*
 * Worker processes of an E2E installation (tests/e2e/fixtures/worker-process.ts), for tests
 * that kill one with a real signal. The E2E's own process runs as `CODEX_ROLE=app` then.
 */

const ROOT = resolve(import.meta.dirname, '../..');

export interface WorkerProcess {
  proc: ChildProcess;
  /** The worker's id (its heartbeat and its containers' `codex.worker` label). */
  id: string;
  output(): string;
  exited: Promise<number | null>;
}

/** The environment of a worker of `e`'s installation: the same config as its own process. */
export function workerEnv(e: E2E, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.config.env)) if (v !== undefined) env[k] = String(v);
  return { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env, CODEX_ROLE: 'worker', ...extra };
}

/** Starts a worker process and waits until it takes jobs. */
export async function startWorkerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<WorkerProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/e2e/fixtures/worker-process.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const id = await new Promise<string>((resolveId, reject) => {
    const timer = setTimeout(() => reject(new Error(`the worker process did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /^ready (\S*)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveId(m[1]!);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the worker process exited (${code}) before it was ready:\n${out}`));
    });
  });
  return { proc, id, output: () => out, exited };
}

/** Kills the process with SIGKILL (if it still runs) and waits for it to be gone. */
export async function killWorker(w: WorkerProcess | undefined): Promise<void> {
  if (!w || w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  w.proc.kill('SIGKILL');
  await w.exited;
}
