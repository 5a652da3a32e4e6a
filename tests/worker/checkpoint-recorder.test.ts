import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { Checkpoints, checkpointRef } from '../../src/runner/checkpoints.js';
import { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { mirrorPath } from '../../src/runner/mirror.js';
import { Workspace, type TaskCheckout, type WorkspaceRepo } from '../../src/runner/workspace.js';
import { checkpointRecorder, type CheckpointRecorder } from '../../src/worker/checkpoint-step.js';
import { git, IMAGE, makeUpstream, removeProjectContainers, tempDir, testLimits, testTaskId, uniqueId } from '../runner/helpers.js';

/*
 * The checkpoints of one run, as the worker records them after each step: a step that left the
 * tree as it was (reading, searching, a test run) shares the last checkpoint, with no freeze and
 * no git; any change (a rewrite of the same size, a mode change, a new file) makes a new one.
 */

const root = tempDir('recorder');
const dataDir = join(root.dir, 'data');
const repo: WorkspaceRepo = { name: uniqueId('repo'), url: join(root.dir, 'upstream'), baseBranch: 'main' };
const project = uniqueId('codex-test-recorder-');
let workspace: Workspace;
let checkout: TaskCheckout;
let sandbox: DockerSandbox;
let recorder: CheckpointRecorder;

beforeAll(async () => {
  makeUpstream(repo.url, { 'README.md': 'hello\n' });
  workspace = new Workspace({ dataDir });
  const checkpoints = new Checkpoints({ dataDir });
  checkout = await workspace.createCheckout({ repo, taskId: testTaskId(), runId: 'r1', prompt: 'record steps' });
  sandbox = new DockerSandbox({ taskId: checkout.taskId, image: IMAGE, workspaceDir: checkout.dir, user: checkout.sandboxUser, limits: testLimits(), project });
  await sandbox.start();
  const probe = async () => {
    const size = await workspace.measureCheckout(checkout, { fingerprint: true });
    return { over: size.over !== undefined, fingerprint: size.fingerprint };
  };
  recorder = checkpointRecorder({ checkpoints, repo: { name: repo.name } as never, checkout, sandbox, task: { id: checkout.taskId }, probe, log: silentLogger() });
}, 60_000);

afterAll(async () => {
  await recorder?.close();
  await sandbox?.stop();
  await removeProjectContainers(project);
  root.cleanup();
});

const mirrorGit = (...args: string[]) => git(mirrorPath(dataDir, repo.name), ...args);
const step = async (n: number, command: string) => {
  const r = await sandbox.exec(command);
  expect(r.exitCode, r.stderr).toBe(0);
  return (await recorder.record({ turn: 1, step: n, label: command }))!;
};

describe('checkpointRecorder', () => {
  it('shares the last checkpoint while the tree is unchanged, and makes a new one for any change', { timeout: 60_000 }, async () => {
    const first = await step(1, 'echo one > a.txt');
    expect(mirrorGit('show', `${first.commit}:a.txt`)).toBe('one');

    // Reading changes nothing: the same checkpoint, and the ref did not move.
    const read = await step(2, 'cat a.txt README.md; ls -la; git status --porcelain=v1 --untracked-files=no >/dev/null || true');
    expect(read).toEqual({ turn: 1, step: 2, label: expect.any(String), commit: first.commit });
    expect(mirrorGit('rev-parse', checkpointRef(checkout.taskId))).toBe(first.commit);

    // A rewrite of the same size is a change.
    const rewritten = await step(3, 'echo two > a.txt');
    expect(rewritten.commit).not.toBe(first.commit);
    expect(mirrorGit('show', `${rewritten.commit}:a.txt`)).toBe('two');

    // So is a mode change, and a new file in a new directory.
    const chmod = await step(4, 'chmod +x a.txt');
    expect(chmod.commit).not.toBe(rewritten.commit);
    expect(mirrorGit('ls-tree', chmod.commit, 'a.txt')).toMatch(/^100755 /);
    const added = await step(5, 'mkdir -p docs && echo notes > docs/n.md');
    expect(mirrorGit('show', `${added.commit}:docs/n.md`)).toBe('notes');
    expect(mirrorGit('rev-list', '--count', `${checkout.startSha}..${added.commit}`)).toBe('4');
  });
});
