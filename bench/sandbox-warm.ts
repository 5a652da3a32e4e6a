import { execFile } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { DEFAULT_LIMITS } from '../src/config.js';
import { DockerSandbox } from '../src/runner/index.js';
import { sandboxUserFor } from '../src/runner/sandbox-user.js';
import { WarmPool } from '../src/runner/warm-pool.js';
import { FINAL_STATUSES, newTaskId } from '../src/tasks/task-record.js';
import { functionCall, message, reply, type Script } from '../tests/fakes/model-server.js';
import { slash, startE2E } from '../tests/helpers/e2e.js';
import { removeDir, SANDBOX_IMAGE, scratchDir } from './fixtures.js';
import { median, timed } from './stats.js';

/*
 * Warm start and the exec path:
 * - a sandbox ready from the warm pool (claim, then its first `true` ran) against a plain
 *   `docker run --rm <image> true`;
 * - one `exec('true')` on a started sandbox against `docker exec <id> true` through the CLI;
 * - the harness's time per agent step (model request → tool run in the sandbox → next model
 *   request) with a scripted model that answers at once, against the exec round trip alone.
 */

const run = promisify(execFile);
/**
 * Flags of the `docker run` baseline: none, or `--network none` when BENCH_BASELINE_NO_NETWORK
 * is set (an engine whose default bridge is down; also what a sandbox itself uses, which makes
 * the baseline faster, not slower).
 */
export const BASELINE_FLAGS = process.env.BENCH_BASELINE_NO_NETWORK ? ['--network', 'none'] : [];

export interface WarmResult {
  warmReadyMs: number;
  /** Claim alone: the container is the task's and running, no command run yet. */
  claimMs: number;
  dockerRunMs: number;
  execMs: number;
  cliExecMs: number;
  stepMs: number;
  /** The same, each step writing a file (a new checkpoint every step). */
  writeStepMs: number;
  runs: number;
  steps: number;
}

export async function benchSandboxWarm(runs: number, execRuns = 30, steps = 20): Promise<WarmResult> {
  const dir = scratchDir('warm');
  chmodSync(dir, 0o777);
  const docker = new Docker();
  const project = 'codex-bench-warm';
  const pool = new WarmPool({ docker, project, dataDir: dir, owner: 'bench', size: 1, maxAgeMs: 60 * 60_000, user: sandboxUserFor() });
  const shape = { image: SANDBOX_IMAGE, limits: DEFAULT_LIMITS };
  const warm: number[] = [];
  const claimed: number[] = [];
  const plain: number[] = [];
  const exec: number[] = [];
  const cli: number[] = [];
  try {
    pool.start([shape]);
    for (let i = 0; i <= runs; i++) {
      await pool.whenFull();
      const taskId = newTaskId();
      const started = performance.now();
      const slot = await pool.claim(shape, taskId);
      if (!slot || !(await slot.adopt([]))) throw new Error('the warm pool had no sandbox ready');
      if (i > 0) claimed.push(performance.now() - started);
      const sandbox = new DockerSandbox({ taskId, image: SANDBOX_IMAGE, workspaceDir: slot.workspaceDir, limits: DEFAULT_LIMITS, project, warm: slot });
      try {
        const result = await sandbox.exec('true');
        if (result.exitCode !== 0) throw new Error(`true exited ${result.exitCode}: ${result.stderr}`);
        if (i > 0) warm.push(performance.now() - started);
        // The exec path on a started sandbox, then the same through the Docker CLI.
        if (i === runs) {
          for (let j = 0; j <= execRuns; j++) {
            const ours = await timed(() => sandbox.exec('true'));
            const theirs = await timed(() => run('docker', ['exec', sandbox.id, 'true']));
            if (j > 0) {
              exec.push(ours.ms);
              cli.push(theirs.ms);
            }
          }
        }
      } finally {
        await sandbox.stop();
      }
      const base = await timed(() => run('docker', ['run', '--rm', ...BASELINE_FLAGS, SANDBOX_IMAGE, 'true']));
      if (i > 0) plain.push(base.ms);
    }
  } finally {
    await pool.stop();
    removeDir(dir);
  }
  return { warmReadyMs: median(warm), claimMs: median(claimed), dockerRunMs: median(plain), execMs: median(exec), cliExecMs: median(cli), stepMs: await stepTime(steps, 'true'), writeStepMs: await stepTime(steps, 'date +%s%N > step.txt'), runs, steps };
}

/**
 * The median gap between consecutive model requests of one task whose every step runs
 * `command`: `true` changes nothing (the step shares the last checkpoint); a write makes each
 * step record a new checkpoint (sandbox frozen, tree hashed).
 */
async function stepTime(steps: number, command: string): Promise<number> {
  const script: Script = (_req, index) => (index < steps ? reply(functionCall('shell', { command })) : reply(message('Done.')));
  const e = await startE2E({ script, repoConfig: { budgets: { maxSteps: steps + 5, maxMinutes: 10 } } });
  try {
    await slash(e, 'task step timing');
    await e.model.waitForRequests(steps + 1, 300_000);
    const at = e.model.requests.map((r) => r.receivedAt);
    // Let the task finish (summary posted, sandbox stopped) before the fakes close under it.
    const [taskId] = await e.store.activeTaskIds();
    const ended = async () => !taskId || FINAL_STATUSES.has((await e.store.getTask(taskId))?.status ?? 'done');
    for (let i = 0; i < 600 && !(await ended()); i++) await new Promise((r) => setTimeout(r, 100));
    // The first gap includes nothing but the first step too; all gaps are one step each.
    return median(at.slice(1).map((t, i) => t - at[i]!));
  } finally {
    await e.cleanup();
  }
}
