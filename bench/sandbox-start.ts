import { execFile } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { promisify } from 'node:util';
import { DEFAULT_LIMITS } from '../src/config.js';
import { DockerSandbox } from '../src/runner/index.js';
import { newTaskId } from '../src/tasks/task-record.js';
import { removeDir, SANDBOX_IMAGE, scratchDir } from './fixtures.js';
import { median, timed } from './stats.js';

/*
 * Sandbox start: our DockerSandbox (hardened container: no network, non-root, read-only root,
 * limits, the checkout mounted) started and its first command run, against a plain
 * `docker run --rm <image> true`. Ours is also shown with its stop, since `docker run --rm`
 * includes the removal.
 */

const run = promisify(execFile);

export interface SandboxResult {
  ours: { startExecMs: number; withStopMs: number };
  dockerRunMs: number;
  runs: number;
}

export async function benchSandboxStart(runs: number): Promise<SandboxResult> {
  const dir = scratchDir('sandbox');
  // The container's user (uid 1000) must be able to enter /workspace.
  chmodSync(dir, 0o777);
  const startExec: number[] = [];
  const withStop: number[] = [];
  const dockerRun: number[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      const sandbox = new DockerSandbox({ taskId: newTaskId(), image: SANDBOX_IMAGE, workspaceDir: dir, limits: DEFAULT_LIMITS, project: 'codex-bench' });
      const started = performance.now();
      try {
        await sandbox.start();
        const result = await sandbox.exec('true');
        if (result.exitCode !== 0) throw new Error(`true exited ${result.exitCode}: ${result.stderr}`);
        const ready = performance.now();
        await sandbox.stop();
        if (i > 0) {
          startExec.push(ready - started);
          withStop.push(performance.now() - started);
        }
      } finally {
        await sandbox.stop().catch(() => undefined);
      }
      const plain = await timed(() => run('docker', ['run', '--rm', SANDBOX_IMAGE, 'true']));
      if (i > 0) dockerRun.push(plain.ms);
    }
  } finally {
    removeDir(dir);
  }
  return { ours: { startExecMs: median(startExec), withStopMs: median(withStop) }, dockerRunMs: median(dockerRun), runs };
}
