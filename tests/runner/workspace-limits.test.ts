import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodexError } from '../../src/errors.js';
import { runHostGit } from '../../src/runner/host-git.js';
import { mirrorPath } from '../../src/runner/mirror.js';
import { Workspace, type WorkspaceRepo } from '../../src/runner/workspace.js';
import { commitFiles, git, makeUpstream, tempDir, testTaskId, uniqueId } from './helpers.js';

/*
 * limits.diskMb and limits.maxFiles on the host side: a checkout over them is never committed,
 * and the commit of a large (allowed) tree holds the repo's lock only for its ref update.
 * Also the bounds on host git (timeouts) and the garbage collection of mirrors.
 */
const root = tempDir('workspace-limits');
const dataDir = join(root.dir, 'data');
const upstreamDir = join(root.dir, 'upstream');
const workspace = new Workspace({ dataDir });
const MIB = 1024 * 1024;

beforeAll(() => {
  makeUpstream(upstreamDir, { 'README.md': 'hello\n', 'src/a.txt': 'a\n' });
});
afterAll(() => root.cleanup());

function sparse(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
}

async function failure(p: Promise<unknown>): Promise<CodexError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!CodexError.isInstance(e)) throw new Error(`expected a CodexError, got ${String(e)}`);
  return e;
}

describe('checkout limits', () => {
  it('refuses to commit a checkout over limits.diskMb, counting a sparse file at its full size', async () => {
    const repo: WorkspaceRepo = { name: uniqueId('disk'), url: upstreamDir, baseBranch: 'main', limits: { diskMb: 64, maxFiles: 1000 } };
    const c = await workspace.createCheckout({ repo, taskId: testTaskId(), prompt: 'fill the disk' });
    mkdirSync(join(c.dir, 'out'));
    sparse(join(c.dir, 'out', 'big.bin'), 20 * 1024 * MIB);
    const e = await failure(workspace.finishCheckout(c, { message: 'too big' }));
    expect(e.code).toBe('workspace_too_large');
    expect(e.userMessage).toContain('limit of 64 MiB');
    expect(e.userMessage).toContain('`out/big.bin` (20.0 GiB)');
    expect(e.userMessage).toContain('Nothing from this turn was saved');
    expect(e.userMessage).toContain(`limits.diskMb\` for "${repo.name}"`);
    // No commit: the branch is where it started, and nothing of the file reached the mirror.
    expect(git(mirrorPath(dataDir, repo.name), 'rev-parse', c.branch)).toBe(c.startSha);
    await workspace.removeCheckout(c);
  });

  it('refuses to commit a checkout over limits.maxFiles', async () => {
    const repo: WorkspaceRepo = { name: uniqueId('files'), url: upstreamDir, baseBranch: 'main', limits: { diskMb: 64, maxFiles: 500 } };
    const c = await workspace.createCheckout({ repo, taskId: testTaskId(), prompt: 'many files' });
    mkdirSync(join(c.dir, 'gen'));
    for (let i = 0; i < 600; i++) writeFileSync(join(c.dir, 'gen', `f${i}.txt`), `${i}\n`);
    const e = await failure(workspace.finishCheckout(c, { message: 'too many' }));
    expect(e.code).toBe('workspace_too_large');
    expect(e.userMessage).toContain('limit of 500 files and directories (`limits.maxFiles`)');
    expect(git(mirrorPath(dataDir, repo.name), 'rev-parse', c.branch)).toBe(c.startSha);
    await workspace.removeCheckout(c);
  });

  it('commits a checkout within its limits, `.git` counted but not what the host put there (isolateObjects history)', async () => {
    // History with 3 MiB of incompressible data that the tip no longer has: the isolated
    // checkout's pack holds it, its work tree does not.
    const up = join(root.dir, 'upstream-history');
    makeUpstream(up, { 'blob.bin': randomBytes(3 * MIB).toString('base64'), 'README.md': 'x\n' });
    git(up, 'rm', '-q', 'blob.bin');
    git(up, 'commit', '-q', '-m', 'drop the blob');
    const repo: WorkspaceRepo = { name: uniqueId('iso'), url: up, baseBranch: 'main', isolateObjects: true, limits: { diskMb: 2, maxFiles: 100 } };
    const c = await workspace.createCheckout({ repo, taskId: testTaskId(), prompt: 'small change' });
    writeFileSync(join(c.dir, 'NOTE.md'), 'a note\n');
    const result = await workspace.finishCheckout(c, { message: 'a note' });
    expect(result.committed).toBe(true);
    expect(result.stat.files.map((f) => f.path)).toEqual(['NOTE.md']);

    // What the sandbox adds to `.git` counts like anything else.
    const again = await workspace.continueCheckout({ repo, taskId: testTaskId(), branch: c.branch });
    writeFileSync(join(again.dir, '.git', 'stash.bin'), randomBytes(3 * MIB));
    expect((await failure(workspace.finishCheckout(again, { message: 'x' }))).code).toBe('workspace_too_large');
    await workspace.removeCheckout(again);
  });

  it('holds the repo lock only for the ref update: another checkout of the repo is made while a large tree is hashed', async () => {
    const repo: WorkspaceRepo = { name: uniqueId('lock'), url: upstreamDir, baseBranch: 'main' };
    const a = await workspace.createCheckout({ repo, taskId: testTaskId(), prompt: 'large tree' });
    // Within the default limits, but seconds of hashing for host git.
    sparse(join(a.dir, 'large.bin'), 512 * MIB);
    const order: string[] = [];
    const committing = workspace.finishCheckout(a, { message: 'large' }).then((r) => {
      order.push('commit a');
      return r;
    });
    const b = await workspace.createCheckout({ repo, taskId: testTaskId(), prompt: 'meanwhile' }).then((r) => {
      order.push('checkout b');
      return r;
    });
    const result = await committing;
    expect(order).toEqual(['checkout b', 'commit a']);
    expect(result.committed).toBe(true);
    expect(git(mirrorPath(dataDir, repo.name), 'rev-parse', a.branch)).toBe(result.commitSha);
    await workspace.removeCheckout(b);
  }, 120_000);
});

describe('host git bounds', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts connections and never answers: a remote that hangs.
    server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
      s.resume(); // read, so the client's end is seen
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('kills a host git call past its bound and says so', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo.git`;
    const e = await failure(runHostGit(['ls-remote', '--', url], { timeoutMs: 1_000 }));
    expect(e.code).toBe('git_failed');
    expect(e.message).toBe('git ls-remote did not finish within 1000 ms');
    expect(e.userMessage).toContain('took longer than 1 seconds and was stopped');
    expect(e.retryable).toBe(true);
    // The helper that held the connection (git-remote-http) was killed with git: it closes.
    for (let i = 0; sockets.size > 0 && i < 100; i++) await new Promise((r) => setTimeout(r, 100));
    expect(sockets.size).toBe(0);
  });
});

describe('mirror maintenance', () => {
  /** Contents whose blob ids start with `17`: git gc --auto estimates loose objects from that directory. */
  function blobsIn17(n: number): string[] {
    const found: string[] = [];
    for (let i = 0; found.length < n; i++) {
      const content = `generated ${i}\n`;
      const id = createHash('sha1').update(`blob ${Buffer.byteLength(content)}\0${content}`).digest('hex');
      if (id.startsWith('17')) found.push(content);
    }
    return found;
  }

  it('packs the loose objects of task commits with git gc --auto, keeping every branch', async () => {
    const repo: WorkspaceRepo = { name: uniqueId('gc'), url: upstreamDir, baseBranch: 'main' };
    const c = await workspace.createCheckout({ repo, taskId: testTaskId(), prompt: 'many objects' });
    blobsIn17(40).forEach((content, i) => writeFileSync(join(c.dir, `gen-${i}.txt`), content));
    const result = await workspace.finishCheckout(c, { message: 'objects' });
    const mirror = mirrorPath(dataDir, repo.name);
    const loose17 = () => (existsSync(join(mirror, 'objects', '17')) ? readdirSync(join(mirror, 'objects', '17')).length : 0);
    // Host git never garbage-collects on its own (gc.auto=0): the objects are loose.
    expect(loose17()).toBeGreaterThanOrEqual(40);

    expect(await workspace.maintainMirrors()).toEqual([]);
    expect(loose17()).toBe(0);
    expect(git(mirror, 'count-objects', '-v')).toMatch(/^packs: [1-9]/m);
    expect(git(mirror, 'rev-parse', c.branch)).toBe(result.commitSha);
    expect(git(mirror, 'cat-file', '-p', `${c.branch}:gen-0.txt`)).toBe(blobsIn17(1)[0]!.trim());
    commitFiles(upstreamDir, { 'later.txt': 'later\n' }, 'upstream moves on');
    const next = await workspace.createCheckout({ repo, taskId: testTaskId(), prompt: 'after gc' });
    expect(existsSync(join(next.dir, 'later.txt'))).toBe(true);
    await workspace.removeCheckout(next);
  });
});
