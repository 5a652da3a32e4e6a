import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/*
 * A redis-server of the test's own on a free port, with nothing persisted (or, with
 * `appendOnly`, an append-only file as compose runs it), so a test can take Redis away from the
 * product (SIGKILL), freeze it (SIGSTOP: connections stay open, nothing answers), restart it
 * and bring it back, without touching the shared Redis other tests use.
 */

export interface PrivateRedis {
  port: number;
  url: string;
  /** Kills the server with SIGKILL (a crash: no shutdown, connections reset). */
  kill(): Promise<void>;
  /** SIGSTOP: the server keeps its sockets but answers nothing until `thaw`. */
  freeze(): void;
  thaw(): void;
  /**
   * Starts the server again on the same port: empty, after a SIGKILL; with `graceful`, after a
   * SIGTERM (Redis writes its append-only file and exits, as `docker compose restart` does), so
   * an `appendOnly` server comes back with its data.
   */
  restart(options?: { graceful?: boolean; downForMs?: number }): Promise<void>;
  /** Stops it for good, whatever state it is in. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

async function waitForPing(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis at ${url} did not come up`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      probe.disconnect();
    }
  }
}

export async function startPrivateRedis(options: { appendOnly?: boolean } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let frozen = false;
  const dir = options.appendOnly ? mkdtempSync(join(tmpdir(), 'codex-redis-')) : undefined;
  const persistence = dir ? ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir] : ['--appendonly', 'no'];

  const launch = async () => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], { stdio: 'ignore' });
    child = proc;
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    await waitForPing(url);
  };
  const killChild = async (signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL') => {
    const proc = child;
    if (!proc) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await exited;
    frozen = false;
  };

  await launch();
  return {
    port,
    url,
    kill: () => killChild(),
    freeze() {
      if (!child?.pid) throw new Error('redis is not running');
      process.kill(child.pid, 'SIGSTOP');
      frozen = true;
    },
    thaw() {
      if (child?.pid && frozen) process.kill(child.pid, 'SIGCONT');
      frozen = false;
    },
    async restart(restartOptions = {}) {
      await killChild(restartOptions.graceful ? 'SIGTERM' : 'SIGKILL');
      if (restartOptions.downForMs) await new Promise((r) => setTimeout(r, restartOptions.downForMs));
      await launch();
    },
    async stop() {
      await killChild();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
