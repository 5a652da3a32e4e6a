import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_LIMITS } from '../src/config.js';
import { DockerSandbox, Workspace } from '../src/runner/index.js';
import { newTaskId } from '../src/tasks/task-record.js';
import { message, reply } from '../tests/fakes/model-server.js';
import { CALC_FILES, slash, startE2E } from '../tests/helpers/e2e.js';
import { git, removeDir, SANDBOX_IMAGE, scratchDir } from './fixtures.js';
import { median } from './stats.js';

/*
 * - Setup cache: a repo whose setup takes 10 s (`sleep 10`, then it writes node_modules). Time
 *   from `/codex task` to the task's first model request, for the first task (setup runs; its
 *   first network command also starts the egress proxy) and for a second one (same key: the
 *   cache is restored instead). Both on warm sandboxes (the pool's default).
 * - gVisor: clone (checkout) + install + test of the calc fixture in a sandbox under runsc,
 *   against the same under the engine's default runtime (runc).
 */

export async function benchSetupCache(): Promise<{ firstMs: number; secondMs: number }> {
  const network = `codex-bench-setup-${randomBytes(3).toString('hex')}`;
  execFileSync('docker', ['network', 'create', network], { stdio: 'ignore' });
  const setup = 'sleep 10 && mkdir -p node_modules/dep && echo built > node_modules/dep/index.js';
  const e = await startE2E({
    script: () => reply(message('Done.')),
    files: { ...CALC_FILES, 'package-lock.json': '{ "lockfileVersion": 3 }\n' },
    repo: { network, setup: [setup], limits: { memoryMb: 512, pids: 128, commandTimeoutSec: 60, maxCommandTimeoutSec: 120 } },
  });
  try {
    const firstRequest = async (n: number, prompt: string) => {
      const started = Date.now();
      await slash(e, `task ${prompt}`);
      await e.model.waitForRequests(n, 300_000);
      const ms = e.model.requests[n - 1]!.receivedAt - started;
      await e.fake.waitFor(async () => {
        const ids = await e.store.activeTaskIds();
        return ids.length === 0 || undefined;
      }, 300_000);
      return ms;
    };
    const firstMs = await firstRequest(1, 'first task, setup runs');
    const secondMs = await firstRequest(2, 'second task, setup restored');
    return { firstMs, secondMs };
  } finally {
    await e.cleanup();
    execFileSync('docker', ['network', 'rm', network], { stdio: 'ignore' });
  }
}

export async function benchRuntime(runs: number): Promise<{ runcMs: number; runscMs: number; runs: number }> {
  const root = scratchDir('runtime');
  const upstream = join(root, 'upstream');
  mkdirSync(upstream);
  git(upstream, 'init', '-q', '-b', 'main');
  for (const [path, content] of Object.entries(CALC_FILES)) {
    mkdirSync(dirname(join(upstream, path)), { recursive: true });
    writeFileSync(join(upstream, path), content);
  }
  git(upstream, 'add', '-A');
  git(upstream, 'commit', '-q', '-m', 'fixture');
  const workspace = new Workspace({ dataDir: join(root, 'data') });
  const repo = { name: 'calc', url: upstream, baseBranch: 'main' };
  const times: Record<'runc' | 'runsc', number[]> = { runc: [], runsc: [] };
  try {
    for (let i = 0; i <= runs; i++) {
      for (const runtime of ['runc', 'runsc'] as const) {
        const taskId = newTaskId();
        const started = performance.now();
        const checkout = await workspace.createCheckout({ repo, taskId, prompt: 'runtime bench' });
        const sandbox = new DockerSandbox({ taskId, image: SANDBOX_IMAGE, workspaceDir: checkout.dir, readOnlyMounts: checkout.readOnlyMounts, user: checkout.sandboxUser, limits: { ...DEFAULT_LIMITS, commandTimeoutSec: 120 }, project: 'codex-bench-runtime', runtime: runtime === 'runsc' ? 'runsc' : undefined });
        try {
          const result = await sandbox.exec('npm install --offline --no-audit --no-fund >/dev/null 2>&1 && npm test 2>&1');
          if (result.exitCode !== 1 || !/fail 1/.test(result.stdout)) throw new Error(`npm test under ${runtime} did not run the fixture's failing test: ${result.stdout.slice(-400)}`);
          if (i > 0) times[runtime].push(performance.now() - started);
        } finally {
          await sandbox.stop();
          await workspace.removeCheckout(checkout);
        }
      }
    }
  } finally {
    removeDir(root);
  }
  return { runcMs: median(times.runc), runscMs: median(times.runsc), runs };
}
