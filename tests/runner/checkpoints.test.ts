import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Checkpoints, checkpointRef } from '../../src/runner/checkpoints.js';
import { mirrorPath } from '../../src/runner/mirror.js';
import { Workspace, type WorkspaceRepo } from '../../src/runner/workspace.js';
import { git, makeUpstream, tempDir, testTaskId, uniqueId } from './helpers.js';

/*
 * Checkpoints of a work tree with real git: what one holds (tracked changes, deletions,
 * untracked files; not ignored files nor nested repositories), that making one leaves the
 * checkout's own index alone, and that one restored into a fresh checkout gives back exactly
 * those files. Their ref keeps every checkpoint of the task reachable until it is dropped.
 */

const root = tempDir('checkpoints');
const dataDir = join(root.dir, 'data');
const upstreamDir = join(root.dir, 'upstream');
const repo: WorkspaceRepo = { name: uniqueId('repo'), url: upstreamDir, baseBranch: 'main' };
let workspace: Workspace;
let checkpoints: Checkpoints;

beforeAll(() => {
  makeUpstream(upstreamDir, { 'README.md': 'hello\n', 'src/a.js': 'one\n', 'old.txt': 'bye\n', '.gitignore': 'node_modules/\n' });
  workspace = new Workspace({ dataDir });
  checkpoints = new Checkpoints({ dataDir });
});
afterAll(() => root.cleanup());

const mirror = () => mirrorPath(dataDir, repo.name);

describe('Checkpoints', () => {
  it('records the whole work tree without touching the checkout index, and restores it into a fresh checkout', async () => {
    const taskId = testTaskId();
    const first = await workspace.createCheckout({ repo, taskId, runId: 'r1', prompt: 'change things' });
    const indexBefore = readFileSync(join(first.dir, '.git', 'index'));
    writeFileSync(join(first.dir, 'src/a.js'), 'two\n');
    rmSync(join(first.dir, 'old.txt'));
    mkdirSync(join(first.dir, 'notes'));
    writeFileSync(join(first.dir, 'notes/todo.md'), 'untracked\n');
    mkdirSync(join(first.dir, 'node_modules'));
    writeFileSync(join(first.dir, 'node_modules/dep.js'), 'ignored\n');
    mkdirSync(join(first.dir, 'vendor/lib'), { recursive: true });
    git(join(first.dir, 'vendor/lib'), 'init', '-q');
    const step1 = await checkpoints.record(first, { message: 'step 1\n' });
    writeFileSync(join(first.dir, 'src/a.js'), 'three\n');
    const step2 = await checkpoints.record(first, { parent: step1, message: 'step 2\n' });

    expect(readFileSync(join(first.dir, '.git', 'index'))).toEqual(indexBefore);
    expect(git(mirror(), 'rev-parse', checkpointRef(taskId))).toBe(step2);
    expect(git(mirror(), 'rev-list', '--count', `${first.startSha}..${checkpointRef(taskId)}`)).toBe('2');
    expect(git(mirror(), 'ls-tree', '-r', '--name-only', step1).split('\n').sort()).toEqual(['.gitignore', 'README.md', 'notes/todo.md', 'src/a.js']);
    expect(git(mirror(), 'show', `${step1}:src/a.js`)).toBe('two');
    await checkpoints.forget(first);
    await workspace.removeCheckout(first);

    // A later run of the same turn: a fresh checkout of the branch, given the files of step 1.
    const second = await workspace.continueCheckout({ repo, taskId, runId: 'r2', branch: first.branch });
    expect(await checkpoints.has(repo, step1)).toBe(true);
    await checkpoints.restore(second, step1);
    expect(readFileSync(join(second.dir, 'src/a.js'), 'utf8')).toBe('two\n');
    expect(readFileSync(join(second.dir, 'notes/todo.md'), 'utf8')).toBe('untracked\n');
    expect(existsSync(join(second.dir, 'old.txt'))).toBe(false);
    expect(existsSync(join(second.dir, 'node_modules'))).toBe(false);
    // Inside the sandbox, git still sees the branch tip as HEAD and the restored work as changes.
    // (The checkout's alternates name the mirror's objects at their path inside the sandbox.)
    const status = execFileSync('git', ['-c', 'safe.directory=*', 'status', '--porcelain'], { cwd: second.dir, encoding: 'utf8', env: { ...process.env, GIT_ALTERNATE_OBJECT_DIRECTORIES: join(mirror(), 'objects') } });
    expect(status.split('\n').filter(Boolean).sort()).toEqual([' D old.txt', ' M src/a.js', '?? notes/']);

    await checkpoints.drop(repo, taskId);
    expect(git(mirror(), 'for-each-ref', checkpointRef(taskId))).toBe('');
    await checkpoints.drop(repo, taskId); // idempotent
    await workspace.removeCheckout(second);
  });

  it('pushes the ref to another repository and fetches it back into a mirror that lacks it', async () => {
    const taskId = testTaskId();
    const c = await workspace.createCheckout({ repo, taskId, runId: 'r1', prompt: 'push it' });
    writeFileSync(join(c.dir, 'pushed.txt'), 'across hosts\n');
    const commit = await checkpoints.record(c, { message: 'step 1\n' });
    const remote = join(root.dir, `remote-${taskId}.git`);
    git(root.dir, 'init', '-q', '--bare', remote);
    await checkpoints.push(repo, taskId, remote);
    expect(git(remote, 'rev-parse', checkpointRef(taskId))).toBe(commit);

    // Another host: its own data directory and mirror, without the checkpoint.
    const otherData = join(root.dir, `other-${taskId}`);
    const otherWorkspace = new Workspace({ dataDir: otherData });
    const other = new Checkpoints({ dataDir: otherData });
    const fresh = await otherWorkspace.createCheckout({ repo, taskId, runId: 'r2', prompt: 'push it', branch: c.branch });
    expect(await other.has(repo, commit)).toBe(false);
    expect(await other.fetch(repo, taskId, remote)).toBe(true);
    await other.restore(fresh, commit);
    expect(readFileSync(join(fresh.dir, 'pushed.txt'), 'utf8')).toBe('across hosts\n');

    await checkpoints.push(repo, taskId, remote, true);
    expect(git(remote, 'for-each-ref', checkpointRef(taskId))).toBe('');
    expect(await other.fetch(repo, taskId, remote)).toBe(false);
  });

  it('reaps the refs of tasks that no longer run, and keeps the live ones', async () => {
    const live = testTaskId();
    const ended = testTaskId();
    for (const taskId of [live, ended]) {
      const c = await workspace.createCheckout({ repo, taskId, runId: 'r1', prompt: 'reap' });
      writeFileSync(join(c.dir, 'x.txt'), taskId);
      await checkpoints.record(c, { message: 'step 1\n' });
      await checkpoints.forget(c);
      await workspace.removeCheckout(c);
    }
    const removed = await checkpoints.reap((taskId) => taskId !== ended);
    expect(removed).toContain(ended);
    expect(removed).not.toContain(live);
    expect(git(mirror(), 'for-each-ref', '--format=%(refname)', checkpointRef(live))).toBe(checkpointRef(live));
    expect(git(mirror(), 'for-each-ref', checkpointRef(ended))).toBe('');
  });

  it('deletes upstream the pushed refs of tasks known to have ended, keeps the others, and leaves a ref moved since it was listed', async () => {
    const [ended, running, unknown, moved] = [testTaskId(), testTaskId(), testTaskId(), testTaskId()];
    const remote = join(root.dir, `remote-reap-${ended}.git`);
    git(root.dir, 'init', '-q', '--bare', remote);
    const commits: Record<string, string> = {};
    for (const taskId of [ended, running, unknown, moved]) {
      const c = await workspace.createCheckout({ repo, taskId, runId: 'r1', prompt: 'reap upstream' });
      writeFileSync(join(c.dir, 'x.txt'), taskId);
      commits[taskId] = await checkpoints.record(c, { message: 'step 1\n' });
      await checkpoints.push(repo, taskId, remote);
      await checkpoints.forget(c);
      await workspace.removeCheckout(c);
    }
    const refs = () => git(remote, 'for-each-ref', '--format=%(refname)').split('\n').filter(Boolean).sort();
    // `moved` gets a new checkpoint pushed (a new turn) while the reaper asks about it.
    const isEnded = async (taskId: string) => {
      if (taskId === moved) git(remote, 'update-ref', checkpointRef(moved), commits[running]!);
      return taskId === ended || taskId === moved;
    };
    expect(await checkpoints.reapPushed(repo, remote, isEnded)).toEqual([ended]);
    expect(refs()).toEqual([checkpointRef(running), checkpointRef(unknown), checkpointRef(moved)].sort());
    expect(git(remote, 'rev-parse', checkpointRef(running))).toBe(commits[running]);

    // A worker that never had the repo has pushed nothing there and asks nothing.
    const elsewhere = new Checkpoints({ dataDir: join(root.dir, `never-${ended}`) });
    expect(await elsewhere.reapPushed(repo, remote, async () => true)).toEqual([]);
    expect(refs()).toContain(checkpointRef(running));
  });
});
