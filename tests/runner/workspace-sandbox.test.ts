import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { createTaskSandbox } from '../../src/runner/task-sandbox.js';
import { Workspace, type TaskCheckout, type WorkspaceRepo } from '../../src/runner/workspace.js';
import { IMAGE, git, makeUpstream, removeProjectContainers, tempDir, testLimits, testTaskId, uniqueId } from './helpers.js';

const project = uniqueId('codex-test-ws-');
const root = tempDir('workspace-sandbox');
const dataDir = join(root.dir, 'data');
const upstreamDir = join(root.dir, 'upstream');
const repo: WorkspaceRepo = { name: uniqueId('repo'), url: upstreamDir, baseBranch: 'main' };
const workspace = new Workspace({ dataDir });
const open: Array<{ checkout: TaskCheckout; sandbox: DockerSandbox }> = [];

async function startTask(prompt: string) {
  const checkout = await workspace.createCheckout({ repo, taskId: testTaskId(), prompt });
  const sandbox = createTaskSandbox({ repo: { image: IMAGE, limits: testLimits(), network: 'bridge' }, checkout, project });
  await sandbox.start();
  open.push({ checkout, sandbox });
  return { checkout, sandbox };
}

beforeAll(() => {
  makeUpstream(upstreamDir, { 'README.md': 'hello\n', 'src/app.ts': 'export const x = 1;\n' });
});

afterAll(async () => {
  for (const { checkout, sandbox } of open) {
    await sandbox.stop();
    await workspace.removeCheckout(checkout);
  }
  await removeProjectContainers(project);
  root.cleanup();
});

describe('Workspace checkouts in the sandbox', () => {
  it('gives two tasks separate checkouts on separate branches; changes in one stay out of the other', async () => {
    const a = await startTask('task a');
    const b = await startTask('task b');
    expect(a.checkout.dir).not.toBe(b.checkout.dir);
    expect(a.checkout.branch).not.toBe(b.checkout.branch);
    await a.sandbox.writeFile('src/app.ts', 'export const x = 2;\n');
    await a.sandbox.writeFile('only-a.txt', 'a');
    expect(await b.sandbox.readFile('src/app.ts')).toBe('export const x = 1;\n');
    expect(await b.sandbox.fileExists('only-a.txt')).toBe(false);
    expect((await a.sandbox.exec('git rev-parse --abbrev-ref HEAD')).stdout.trim()).toBe(a.checkout.branch);
    expect((await b.sandbox.exec('git rev-parse --abbrev-ref HEAD')).stdout.trim()).toBe(b.checkout.branch);
  });

  it('runs git status, diff and log inside the sandbox, and lets the agent commit there', async () => {
    const { sandbox } = await startTask('git inside');
    await sandbox.writeFile('README.md', 'hello\nworld\n');
    const status = await sandbox.exec('git status --porcelain');
    expect(status).toMatchObject({ exitCode: 0, stdout: ' M README.md\n' });
    const diff = await sandbox.exec('git diff');
    expect(diff.stdout).toContain('+world');
    const log = await sandbox.exec('git log --format=%s');
    expect(log).toMatchObject({ exitCode: 0, stdout: 'initial commit\n' });
    const commit = await sandbox.exec('git commit -qam "agent commit" && git log --format=%s origin/main..HEAD && git diff --stat origin/main');
    expect(commit.exitCode).toBe(0);
    expect(commit.stdout).toContain('agent commit\n');
    expect(commit.stdout).toContain('README.md | 1 +');
  });

  it('cannot write the shared cache from the sandbox', async () => {
    const { sandbox, checkout } = await startTask('cache is read-only');
    const before = git(checkout.mirrorDir, 'count-objects', '-v');
    const r = await sandbox.exec(
      'cat .git/objects/info/alternates; touch /opt/codex/mirror/objects/planted 2>&1; mkdir /opt/codex/mirror/objects/ab 2>&1; rm -rf /opt/codex/mirror/objects/* 2>&1; find /opt/codex/mirror/objects -type f | wc -l',
    );
    expect(r.stdout).toContain('/opt/codex/mirror/objects\n');
    expect(r.stdout.match(/Read-only file system/g)?.length).toBeGreaterThanOrEqual(3);
    expect(Number(r.stdout.trim().split('\n').at(-1))).toBeGreaterThan(0);
    expect(git(checkout.mirrorDir, 'count-objects', '-v')).toBe(before);
    // The mirror's refs (other tasks' branches) are not mounted at all.
    expect((await sandbox.exec('ls /opt/codex/mirror')).stdout).toBe('objects\n');
  });
});
