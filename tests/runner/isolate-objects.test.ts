import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { createTaskSandbox } from '../../src/runner/task-sandbox.js';
import { Workspace, type TaskCheckout, type WorkspaceRepo } from '../../src/runner/workspace.js';
import { IMAGE, git, makeUpstream, removeProjectContainers, tempDir, testLimits, testTaskId, uniqueId } from './helpers.js';

/*
 * Repo option `isolateObjects`: a sandbox of such a repo holds only the objects of its base and
 * its own branch, so it cannot read another task's commit; a default repo shares the mirror's
 * objects (read-only), which is what lets any of its sandboxes read other tasks' commits.
 * Real git, real Docker.
 */

const project = uniqueId('codex-test-iso-');
const root = tempDir('isolate-objects');
const dataDir = join(root.dir, 'data');
const upstreamDir = join(root.dir, 'upstream');
const workspace = new Workspace({ dataDir });
const open: Array<{ checkout: TaskCheckout; sandbox: DockerSandbox }> = [];

async function startTask(repo: WorkspaceRepo, prompt: string, branch?: string) {
  const checkout = branch ? await workspace.continueCheckout({ repo, taskId: testTaskId(), branch }) : await workspace.createCheckout({ repo, taskId: testTaskId(), prompt });
  const sandbox = createTaskSandbox({ repo: { image: IMAGE, limits: testLimits(), network: 'bridge' }, checkout, project });
  await sandbox.start();
  open.push({ checkout, sandbox });
  return { checkout, sandbox };
}

/** A task that commits a file with a unique content; returns the commit on its branch. */
async function committedTask(repo: WorkspaceRepo, secret: string): Promise<{ branch: string; commit: string; blob: string }> {
  const { checkout, sandbox } = await startTask(repo, `write ${secret}`);
  await sandbox.writeFile('private.txt', `${secret}\n`);
  await sandbox.stop();
  const result = await workspace.finishCheckout(checkout, { message: `add ${secret}` });
  const commit = git(checkout.mirrorDir, 'rev-parse', `refs/heads/${result.branch}`);
  const blob = git(checkout.mirrorDir, 'rev-parse', `${commit}:private.txt`);
  return { branch: result.branch, commit, blob };
}

beforeAll(() => {
  makeUpstream(upstreamDir, { 'README.md': 'hello\n', 'src/app.ts': 'export const x = 1;\n' });
});

afterAll(async () => {
  for (const { checkout, sandbox } of open) {
    await sandbox.stop();
    await workspace.removeCheckout(checkout).catch(() => undefined);
  }
  await removeProjectContainers(project);
  root.cleanup();
});

describe('isolateObjects', () => {
  it('is off by default and read from the repo config', () => {
    const configPath = join(root.dir, 'repos.json');
    const env = { SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 's', OPENAI_API_KEY: 'k', CODEX_CONFIG: configPath, CODEX_DATA_DIR: dataDir };
    writeFileSync(configPath, JSON.stringify({ repos: [{ name: 'a', url: upstreamDir }, { name: 'b', url: upstreamDir, isolateObjects: true }] }));
    const config = loadConfig(env);
    expect(config.repos.map((r) => r.isolateObjects)).toEqual([false, true]);
  });

  it('a sandbox of an isolated repo cannot read another task\'s commit; a default repo shares them', { timeout: 120_000 }, async () => {
    const shared: WorkspaceRepo = { name: uniqueId('shared'), url: upstreamDir, baseBranch: 'main' };
    const isolated: WorkspaceRepo = { name: uniqueId('iso'), url: upstreamDir, baseBranch: 'main', isolateObjects: true };

    // Default repo: task B can read task A's commit and file by hash (the documented exposure).
    const a = await committedTask(shared, 'shared-secret-a');
    const b = await startTask(shared, 'task b');
    expect(b.checkout.readOnlyMounts).toHaveLength(1);
    const seen = await b.sandbox.exec(`git cat-file -t ${a.commit} && git cat-file -p ${a.blob}`);
    expect(seen).toMatchObject({ exitCode: 0, stdout: 'commit\nshared-secret-a\n' });

    // Isolated repo: task D cannot, by hash or by listing every object it has.
    const c = await committedTask(isolated, 'isolated-secret-c');
    const d = await startTask(isolated, 'task d');
    expect(d.checkout.readOnlyMounts).toEqual([]);
    const refused = await d.sandbox.exec(`git cat-file -t ${c.commit}; git cat-file -p ${c.blob}; git cat-file --batch-all-objects --batch-check | wc -l; ls /opt/codex 2>&1; test -e .git/objects/info/alternates && echo has-alternates || echo no-alternates`);
    expect(refused.stdout + refused.stderr).not.toContain('isolated-secret-c');
    expect(refused.stderr).toContain(`could not get object info`);
    expect(refused.stdout).toContain('no-alternates');
    expect(refused.stdout).toMatch(/No such file or directory/);
    const all = await d.sandbox.exec(`git cat-file --batch-all-objects --batch-check='%(objectname)'`);
    expect(all.stdout.split('\n')).not.toContain(c.commit);
    expect(all.stdout.split('\n')).not.toContain(c.blob);

    // And it still works as a checkout: history, status, diff against the base, commits.
    const work = await d.sandbox.exec('git log --format=%s && git status --porcelain && echo change >> README.md && git diff --stat origin/main && git commit -qam local && git log --format=%s origin/main..HEAD && git fsck --no-dangling 2>&1 | grep -c missing || true');
    expect(work.exitCode).toBe(0);
    expect(work.stdout).toBe('initial commit\n README.md | 1 +\n 1 file changed, 1 insertion(+)\nlocal\n0\n');

    // A follow-up of task C gets C's own commit, still without D's or anyone else's mount.
    const again = await startTask(isolated, 'follow-up', c.branch);
    expect((await again.sandbox.readFile('private.txt'))).toBe('isolated-secret-c\n');
    expect((await again.sandbox.exec(`git cat-file -t ${c.commit}`)).stdout).toBe('commit\n');
  });
});
