import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodexError } from '../../src/errors.js';
import { mirrorPath } from '../../src/runner/mirror.js';
import { Workspace, type WorkspaceRepo } from '../../src/runner/workspace.js';
import { captureLogger, commitFiles, git, makeUpstream, tempDir, testTaskId, uniqueId } from './helpers.js';

const root = tempDir('workspace');
const dataDir = join(root.dir, 'data');
const upstreamDir = join(root.dir, 'upstream');
const repo: WorkspaceRepo = { name: uniqueId('repo'), url: upstreamDir, baseBranch: 'main' };
const { logger, lines } = captureLogger();
let workspace: Workspace;
let baseSha: string;

beforeAll(() => {
  makeUpstream(upstreamDir, { 'README.md': 'hello\n', 'src/date.ts': 'export const a = 1;\nexport const b = 2;\n', 'old.txt': 'bye\n' });
  baseSha = git(upstreamDir, 'rev-parse', 'HEAD');
  workspace = new Workspace({ dataDir, logger, author: { name: 'Codex Bot', email: 'bot@codex.test' } });
});

afterAll(() => root.cleanup());

const mirror = () => mirrorPath(dataDir, repo.name);

describe('Workspace', () => {
  it('creates a checkout on a new task branch from the base, in a cached mirror', async () => {
    const taskId = testTaskId();
    const c = await workspace.createCheckout({ repo, taskId, prompt: 'Fix the flaky date test, please!' });
    expect(c.branch).toMatch(/^codex\/[a-z0-9]{8}-fix-the-flaky-date-test-please$/);
    expect(c.dir).toBe(join(dataDir, 'checkouts', taskId));
    expect(c).toMatchObject({ baseSha, startSha: baseSha, mirrorDir: mirror(), baseBranch: 'main' });
    expect(readFileSync(join(c.dir, 'src/date.ts'), 'utf8')).toContain('export const a');
    expect(git(mirror(), 'rev-parse', `refs/heads/${c.branch}`)).toBe(baseSha);
    expect(c.readOnlyMounts).toEqual([{ source: join(mirror(), 'objects'), target: '/opt/codex/mirror/objects' }]);
    await workspace.removeCheckout(c);
    expect(existsSync(c.dir)).toBe(false);
  });

  it('fetches the mirror instead of re-cloning it, and builds warm checkouts quickly (logged)', async () => {
    writeFileSync(join(mirror(), 'kept-marker'), 'survives a fetch');
    const newer = commitFiles(upstreamDir, { 'NEW.md': 'new upstream file\n' }, 'upstream moves on');
    const c = await workspace.createCheckout({ repo, taskId: testTaskId(), prompt: 'warm' });
    expect(existsSync(join(mirror(), 'kept-marker'))).toBe(true);
    expect(c.baseSha).toBe(newer);
    expect(existsSync(join(c.dir, 'NEW.md'))).toBe(true);
    const line = lines.filter((l) => l.msg === 'checkout created').at(-1)!;
    expect(line).toMatchObject({ repo: repo.name, branch: c.branch });
    expect(typeof line.checkoutMs).toBe('number');
    console.log(`warm-cache checkout: fetch ${String(line.fetchMs)} ms, checkout ${String(line.checkoutMs)} ms`);
    await workspace.removeCheckout(c);
  });

  it('commits the task on the host, reports diff stat and diff against the base, removes the checkout, keeps the branch', async () => {
    const taskId = testTaskId();
    const c = await workspace.createCheckout({ repo, taskId, prompt: 'change things' });
    writeFileSync(join(c.dir, 'src/date.ts'), 'export const a = 1;\nexport const b = 3;\nexport const c = 4;\n');
    mkdirSync(join(c.dir, 'docs'));
    writeFileSync(join(c.dir, 'docs/notes.md'), 'one\ntwo\n');
    rmSync(join(c.dir, 'old.txt'));
    writeFileSync(join(c.dir, 'blob.bin'), Buffer.from([0, 1, 2, 3, 0, 255]));

    const r = await workspace.finishCheckout(c, { message: 'Codex: change things\n\nTask: ' + taskId });

    expect(r.committed).toBe(true);
    expect(r.stat.files.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'blob.bin', added: 0, removed: 0, binary: true },
      { path: 'docs/notes.md', added: 2, removed: 0, binary: false },
      { path: 'old.txt', added: 0, removed: 1, binary: false },
      { path: 'src/date.ts', added: 2, removed: 1, binary: false },
    ]);
    expect(r.stat).toMatchObject({ added: 4, removed: 2 });
    expect(r.diff).toContain('diff --git a/src/date.ts b/src/date.ts');
    expect(r.diff).toContain('-export const b = 2;\n+export const b = 3;\n+export const c = 4;');
    expect(r.diff).toContain('deleted file mode 100644');
    expect(r.diff).toContain('Binary files /dev/null and b/blob.bin differ');
    expect(r.diffTruncated).toBe(false);

    expect(existsSync(c.dir)).toBe(false);
    expect(await workspace.branchTip(repo, c.branch)).toBe(r.commitSha);
    expect(git(mirror(), 'log', '-1', '--format=%an <%ae>|%cn <%ce>|%P|%B', r.commitSha)).toBe(`Codex Bot <bot@codex.test>|Codex Bot <bot@codex.test>|${c.startSha}|Codex: change things\n\nTask: ${taskId}`);
  });

  it('continues a task branch for a follow-up; the diff stays against the fork point', async () => {
    const taskId = testTaskId();
    const first = await workspace.createCheckout({ repo, taskId, prompt: 'follow up' });
    writeFileSync(join(first.dir, 'README.md'), 'hello\nturn one\n');
    const one = await workspace.finishCheckout(first, { message: 'turn one' });
    commitFiles(upstreamDir, { 'UPSTREAM2.md': 'more upstream\n' }, 'upstream moves again');

    const again = await workspace.continueCheckout({ repo, taskId, branch: first.branch });
    expect(again).toMatchObject({ branch: first.branch, startSha: one.commitSha, baseSha: first.baseSha });
    expect(readFileSync(join(again.dir, 'README.md'), 'utf8')).toBe('hello\nturn one\n');
    expect(existsSync(join(again.dir, 'UPSTREAM2.md'))).toBe(false);
    writeFileSync(join(again.dir, 'README.md'), 'hello\nturn one\nturn two\n');
    const two = await workspace.finishCheckout(again, { message: 'turn two' });

    expect(git(mirror(), 'rev-parse', `${two.commitSha}^`)).toBe(one.commitSha);
    expect(two.stat).toMatchObject({ added: 2, removed: 0 });
    expect(two.diff).toContain('+turn one\n+turn two');
  });

  it('reports no commit when nothing changed, and refuses to create a branch twice', async () => {
    const taskId = testTaskId();
    const c = await workspace.createCheckout({ repo, taskId, prompt: 'noop' });
    const r = await workspace.finishCheckout(c, { message: 'nothing' });
    expect(r).toMatchObject({ committed: false, commitSha: c.startSha, stat: { added: 0, removed: 0 }, diff: '' });
    const again = await workspace.createCheckout({ repo, taskId, prompt: 'noop' }).catch((e: unknown) => e);
    expect(CodexError.isInstance(again) && again.code).toBe('branch_exists');
  });

  it('fails clearly for a missing base branch or a missing task branch', async () => {
    const other = { ...repo, baseBranch: 'does-not-exist' };
    const e1 = await workspace.createCheckout({ repo: other, taskId: testTaskId(), prompt: 'x' }).catch((e: unknown) => e);
    expect(CodexError.isInstance(e1) && e1.code).toBe('base_branch_missing');
    const e2 = await workspace.continueCheckout({ repo, taskId: testTaskId(), branch: 'codex/abcdefgh-nope' }).catch((e: unknown) => e);
    expect(CodexError.isInstance(e2) && e2.code).toBe('branch_not_found');
    const e3 = await workspace.createCheckout({ repo, taskId: '../evil', prompt: 'x' }).catch((e: unknown) => e);
    expect(CodexError.isInstance(e3) && e3.code).toBe('invalid_task_id');
  });

  it('reaps checkouts of tasks that no longer run and keeps live ones and all branches', async () => {
    const live = await workspace.createCheckout({ repo, taskId: testTaskId(), prompt: 'live' });
    const dead = await workspace.createCheckout({ repo, taskId: testTaskId(), prompt: 'dead' });
    const removed = await workspace.reapCheckouts({ isLive: (id) => id !== dead.taskId });
    expect(removed).toEqual([dead.taskId]);
    expect(existsSync(dead.dir)).toBe(false);
    expect(existsSync(live.dir)).toBe(true);
    expect(await workspace.branchTip(repo, dead.branch)).toBe(dead.startSha);
    await workspace.removeCheckout(live);
  });
});
