import { afterAll, describe, expect, it } from 'vitest';
import { parseRepoFile, resolveRepo } from '../../src/config.js';
import { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { IMAGE, removeProjectNetworks, sandboxWritableDir, testLimits, uniqueId } from './helpers.js';

/*
 * A repo with `"runtime": "runsc"` runs its sandbox, and the siblings of its network commands,
 * under gVisor (the engine has the runsc runtime registered); a repo without it runs under the
 * engine's default runtime. gVisor's own kernel says so in /proc/version and dmesg.
 */

const project = uniqueId('codex-test-rt-');
const work = sandboxWritableDir('runtime');
const sandboxes: DockerSandbox[] = [];

afterAll(async () => {
  await Promise.all(sandboxes.map((s) => s.stop()));
  await removeProjectNetworks(project);
  work.cleanup();
}, 60_000);

function repoSandbox(repoEntry: Record<string, unknown>): DockerSandbox {
  const { file, problems } = parseRepoFile(JSON.stringify({ repos: [{ name: 'r', url: '/nowhere', ...repoEntry }] }), 'test');
  expect(problems).toEqual([]);
  const repo = resolveRepo(file!, file!.repos[0]!, IMAGE);
  const sandbox = new DockerSandbox({ taskId: uniqueId('task'), image: repo.image, workspaceDir: work.dir, limits: testLimits(), project, runtime: repo.runtime });
  sandboxes.push(sandbox);
  return sandbox;
}

const KERNEL = 'cat /proc/version; dmesg 2>&1 | head -n 3';

describe('repo runtime', () => {
  it('runs a runsc repo under gVisor, its network siblings too; a default repo not', { timeout: 120_000 }, async () => {
    const gvisor = repoSandbox({ runtime: 'runsc' });
    const inside = await gvisor.exec(KERNEL);
    expect(inside.exitCode).toBe(0);
    expect(inside.stdout).toMatch(/gVisor/);
    const sibling = await gvisor.exec(KERNEL, { network: true });
    expect(sibling.stdout).toMatch(/gVisor/);

    const plain = repoSandbox({});
    const host = await plain.exec(KERNEL);
    expect(host.exitCode).toBe(0);
    expect(host.stdout).toMatch(/Linux version/);
    expect(host.stdout).not.toMatch(/gVisor/);
  });

  it('refuses a runtime name Docker could not have', () => {
    const { problems } = parseRepoFile(JSON.stringify({ repos: [{ name: 'r', url: '/x', runtime: '--privileged' }] }), 'test');
    expect(problems.join('\n')).toMatch(/runtime: must be the name of a runtime/);
  });
});
