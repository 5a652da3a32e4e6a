import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { IMAGE, removeProjectContainers, sandboxWritableDir, testLimits, uniqueId } from './helpers.js';

/*
 * A checkpoint reads the checkout from the host between steps; a process the agent left running
 * in the background could still change files meanwhile. `freeze` pauses every process of the
 * sandbox while the host reads, and lets them go on afterwards.
 */

const project = uniqueId('codex-test-freeze-');
const work = sandboxWritableDir('freeze');
let sandbox: DockerSandbox;

beforeAll(async () => {
  sandbox = new DockerSandbox({ taskId: uniqueId('task'), image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project });
  await sandbox.start();
});

afterAll(async () => {
  await sandbox.stop();
  await removeProjectContainers(project);
  work.cleanup();
});

// The writer may not have written its first value yet: no file counts as zero.
const counter = () => {
  const file = join(work.dir, 'counter');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim() || '0') : 0;
};
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
};

describe('DockerSandbox.freeze', () => {
  it('holds every process of the sandbox still while the host reads the checkout', async () => {
    // A writer the agent left in the background: it rewrites a file as fast as it can.
    await sandbox.exec('nohup bash -c \'i=0; while true; do i=$((i+1)); echo $i > counter.tmp && mv counter.tmp counter; done\' >/dev/null 2>&1 &');
    await until(() => counter() > 50);
    const seen = await sandbox.freeze(async () => {
      const first = counter();
      await new Promise((r) => setTimeout(r, 500));
      return [first, counter()];
    });
    expect(seen[1]).toBe(seen[0]);
    // And it runs on afterwards.
    await until(() => counter() > seen[0]! + 50);
    expect(counter()).toBeGreaterThan(seen[0]!);
    expect((await sandbox.exec('echo still usable')).stdout).toBe('still usable\n');
  });

  it('unfreezes when the work fails', async () => {
    await expect(sandbox.freeze(async () => Promise.reject(new Error('the read failed')))).rejects.toThrow('the read failed');
    expect((await sandbox.exec('echo running')).stdout).toBe('running\n');
  });
});
