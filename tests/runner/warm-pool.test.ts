import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_POOL_OWNER, LABEL_PROJECT, LABEL_ROLE } from '../../src/runner/labels.js';
import { sandboxUserFor } from '../../src/runner/sandbox-user.js';
import { createTaskSandbox } from '../../src/runner/task-sandbox.js';
import { reapWarmSandboxes, WarmPool, warmShapes, type WarmShape } from '../../src/runner/warm-pool.js';
import { Workspace, type WorkspaceRepo } from '../../src/runner/workspace.js';
import { docker, IMAGE, makeUpstream, removeProjectContainers, tempDir, testLimits, testTaskId, uniqueId } from './helpers.js';

const project = uniqueId('codex-test-warm-');
const root = tempDir('warm-pool');
const dataDir = join(root.dir, 'data');
const repo: WorkspaceRepo & { image: string; limits: ReturnType<typeof testLimits>; network: string } = {
  name: uniqueId('repo'),
  url: join(root.dir, 'upstream'),
  baseBranch: 'main',
  image: IMAGE,
  limits: testLimits(),
  network: 'bridge',
};
const other: WorkspaceRepo = { name: uniqueId('other'), url: join(root.dir, 'other'), baseBranch: 'main' };
const shape: WarmShape = repo;
const workspace = new Workspace({ dataDir });
const owner = uniqueId('worker-');

function newPool(size = 1, extra: { maxAgeMs?: number; checkMs?: number } = {}) {
  return new WarmPool({ docker, project, dataDir, owner, size, maxAgeMs: extra.maxAgeMs ?? 60 * 60_000, checkMs: extra.checkMs, user: sandboxUserFor() });
}

async function warmContainers(): Promise<Array<{ name: string; id: string; labels: Record<string, string>; state: string }>> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_PROJECT}=${project}`, `${LABEL_ROLE}=warm`] } });
  return list.map((c) => ({ name: c.Names[0]!.replace(/^\//, ''), id: c.Id, labels: c.Labels, state: c.State }));
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(() => {
  makeUpstream(repo.url, { 'README.md': 'warm\n', 'src/app.ts': 'export const x = 1;\n' });
  makeUpstream(other.url, { 'SECRET.md': 'the other repo\n' });
});

afterAll(async () => {
  await removeProjectContainers(project);
  root.cleanup();
});

describe('WarmPool', () => {
  it('keeps one started, hardened sandbox per shape that holds nothing of any task, and removes it on stop', async () => {
    const pool = newPool();
    // Two repos of one shape share a pool.
    pool.start(warmShapes([shape, { ...shape }]));
    await pool.whenFull();
    const [warm] = await warmContainers();
    expect(await warmContainers()).toHaveLength(1);
    expect(warm).toMatchObject({ state: 'running', labels: { [LABEL_POOL_OWNER]: owner } });
    expect(warm!.labels['codex.task-id']).toBeUndefined();
    const info = await docker.getContainer(warm!.id).inspect();
    expect(info.HostConfig).toMatchObject({ NetworkMode: 'none', ReadonlyRootfs: true, CapDrop: ['ALL'], Memory: repo.limits.memoryMb * 1024 * 1024, PidsLimit: repo.limits.pids });
    expect(info.Config.User).not.toMatch(/^0(:|$)/);
    // Nothing task-specific: the work tree and the mirror objects are empty directories.
    expect(readdirSync(info.Mounts.find((m) => m.Destination === '/workspace')!.Source)).toEqual([]);
    expect(readdirSync(info.Mounts.find((m) => m.Destination === '/opt/codex/mirror/objects')!.Source)).toEqual([]);
    await pool.stop();
    expect(await warmContainers()).toEqual([]);
    expect(readdirSync(join(dataDir, 'warm'))).toEqual([]);
  });

  it('hands a warm sandbox to one task: it sees only that task checkout, works with git, has no network; the pool refills', async () => {
    const pool = newPool();
    pool.start([shape]);
    await pool.whenFull();
    const [before] = await warmContainers();
    const taskId = testTaskId();
    // Two claims at once with one ready: exactly one gets it.
    const claims = await Promise.all([pool.claim(shape, taskId), pool.claim(shape, testTaskId())]);
    const slot = claims.find((c) => c !== undefined)!;
    expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
    expect(slot.container).toBe(`${project}-${taskId}-w${before!.name.slice(-10)}`);

    const checkout = await workspace.createCheckout({ repo, taskId, prompt: 'warm task', dir: slot.workspaceDir });
    expect(await slot.adopt(checkout.readOnlyMounts, (w) => workspace.underRepoLock(repo.name, w))).toBe(true);
    const sandbox = createTaskSandbox({ repo, checkout, project, warm: slot });
    expect(sandbox.id).toBe(slot.container);
    await sandbox.start();
    const seen = await sandbox.exec('ls -A /workspace; git log --format=%s; ls /sys/class/net; grep -o "containers/[0-9a-f]*" /proc/self/mountinfo | head -1');
    expect(seen.exitCode).toBe(0);
    const [files, log, nets, id] = [seen.stdout.split('\n').slice(0, 3), seen.stdout.split('\n')[3], seen.stdout.split('\n')[4], seen.stdout.split('\n')[5]];
    expect(files).toEqual(['.git', 'README.md', 'src']);
    expect(log).toBe('initial commit');
    expect(nets).toBe('lo');
    expect(id).toBe(`containers/${before!.id}`);
    // No route out; the other repo's objects (its mirror is on this worker too) are not there.
    expect((await sandbox.exec('getent hosts example.com || echo none')).stdout.trim()).toBe('none');
    const otherCheckout = await workspace.createCheckout({ repo: other, taskId: testTaskId(), prompt: 'other' });
    const secretBlob = (await sandbox.exec(`printf 'the other repo\\n' | git hash-object --stdin`)).stdout.trim();
    expect((await sandbox.exec(`git cat-file -e ${secretBlob} && echo visible || echo absent`)).stdout.trim()).toBe('absent');
    expect((await sandbox.exec(`git cat-file --batch-all-objects --batch-check | wc -l`)).stdout.trim()).toBe('5');
    await workspace.removeCheckout(otherCheckout);

    // The pool refilled behind the claim, with a new container.
    const refilled = await until(async () => {
      const names = pool.readyNames(shape);
      return names.length === 1 ? names[0] : undefined;
    });
    expect(refilled).not.toBe(before!.name);

    await sandbox.stop();
    await workspace.removeCheckout(checkout);
    expect((await warmContainers()).map((c) => c.name)).toEqual([refilled]);
    await pool.stop();
    expect(await warmContainers()).toEqual([]);
    expect(existsSync(join(dataDir, 'warm'))).toBe(true);
    expect(readdirSync(join(dataDir, 'warm'))).toEqual([]);
  });

  it('replaces a ready sandbox that died or got too old', async () => {
    const pool = newPool(1, { checkMs: 300 });
    pool.start([shape]);
    await pool.whenFull();
    const [first] = await warmContainers();
    await docker.getContainer(first!.id).kill();
    const replaced = await until(async () => {
      const names = pool.readyNames(shape);
      return names.length === 1 && names[0] !== first!.name ? names[0] : undefined;
    });
    // The dead one is removed (its removal may still be under way on a busy engine).
    await until(async () => ((await warmContainers()).length === 1 ? true : undefined), 30_000);
    expect((await warmContainers()).map((c) => c.name)).toEqual([replaced]);
    await pool.stop();

    const aging = newPool(1, { maxAgeMs: 1, checkMs: 60_000 });
    aging.start([shape]);
    await aging.whenFull();
    // Too old by the time it is claimed: the claim discards it and the task starts cold.
    expect(await aging.claim(shape, testTaskId())).toBeUndefined();
    await aging.stop();
    expect(await warmContainers()).toEqual([]);
  });

  it('reaps what a dead worker left: unclaimed always, claimed once its task no longer runs; at start, all of this data directory', async () => {
    const pool = newPool();
    pool.start([shape]);
    await pool.whenFull();
    const liveTask = testTaskId();
    const slot = (await pool.claim(shape, liveTask))!;
    await pool.whenFull();
    // Owner gone, task still running elsewhere: the claimed one stays, the unclaimed one goes.
    const removed = await reapWarmSandboxes({ docker, project, dataDir: join(root.dir, 'another'), liveOwners: new Set(), isLive: (t) => t === liveTask, atStart: false });
    expect(removed).toEqual(pool.readyNames(shape));
    expect((await warmContainers()).map((c) => c.name)).toEqual([slot.container]);
    // A new process on the same data directory removes everything made there.
    const atStart = await reapWarmSandboxes({ docker, project, dataDir, liveOwners: new Set([owner]), isLive: () => true, atStart: true });
    expect(atStart).toEqual([slot.container]);
    expect(await warmContainers()).toEqual([]);
    expect(existsSync(join(dataDir, 'warm'))).toBe(false);
    await pool.stop();
  });

  it('removes a claimed sandbox of a live worker whose task has ended, once seen so at two reaps in a row', async () => {
    const pool = newPool();
    pool.start([shape]);
    await pool.whenFull();
    const task = testTaskId();
    const slot = (await pool.claim(shape, task))!;
    await pool.whenFull();
    const reap = (isLive: (t: string) => boolean, suspects: Set<string>) =>
      reapWarmSandboxes({ docker, project, dataDir: join(root.dir, 'another'), liveOwners: new Set([owner]), isLive, atStart: false, suspects });
    const names = async () => (await warmContainers()).map((c) => c.name).sort();
    const all = await names();
    expect(all).toContain(slot.container);

    // Not running at one reap (a claim a moment before its task shows as running looks the
    // same), running at the next: it stays, and the suspicion is dropped.
    const suspects = new Set<string>();
    expect(await reap(() => false, suspects)).toEqual([]);
    expect(suspects.size).toBe(1);
    expect(await reap(() => true, suspects)).toEqual([]);
    expect(suspects.size).toBe(0);
    // Its owner's stop could not remove it and the task ended: gone at the second reap that sees it so.
    expect(await reap(() => false, suspects)).toEqual([]);
    expect(await names()).toEqual(all);
    expect(await reap(() => false, suspects)).toEqual([slot.container]);
    expect(await names()).toEqual(all.filter((n) => n !== slot.container));
    // The live owner's unclaimed sandboxes are never touched.
    expect(await names()).toEqual(pool.readyNames(shape).sort());
    await pool.stop();
  });
});
