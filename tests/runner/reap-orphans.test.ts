import { afterAll, describe, expect, it } from 'vitest';
import { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { reapOrphans, reapSupersededRuns, removeWorkerContainers } from '../../src/runner/reap-orphans.js';
import { IMAGE, docker, removeProjectContainers, sandboxWritableDir, testLimits, uniqueId } from './helpers.js';

const project = uniqueId('codex-test-reap-');
const otherProject = uniqueId('codex-test-reap-other-');
const work = sandboxWritableDir('reap');

afterAll(async () => {
  await removeProjectContainers(project);
  await removeProjectContainers(otherProject);
  work.cleanup();
});

const exists = (name: string) => docker.getContainer(name).inspect().then(() => true, () => false);

describe('reapOrphans', () => {
  it('removes containers of tasks that are gone and leaves live tasks, young containers and other installations alone', async () => {
    const liveTask = uniqueId('live');
    const goneTask = uniqueId('gone');
    const make = (taskId: string, p = project) => new DockerSandbox({ taskId, image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project: p });
    const live = make(liveTask);
    const gone = make(goneTask);
    const foreign = make(goneTask, otherProject);
    await Promise.all([live.start(), gone.start(), foreign.start()]);

    const asked: string[] = [];
    const young = await reapOrphans({ project, isLive: () => false });
    expect(young).toEqual({ removed: [], kept: expect.arrayContaining([live.id, gone.id]) as string[] });
    const result = await reapOrphans({ project, minAgeMs: 0, isLive: async (id) => (asked.push(id), id === liveTask) });

    expect(result.removed).toEqual([gone.id]);
    expect(result.kept).toEqual([live.id]);
    expect(asked.sort()).toEqual([goneTask, liveTask].sort());
    expect(await exists(gone.id)).toBe(false);
    expect(await exists(live.id)).toBe(true);
    expect(await exists(foreign.id)).toBe(true);
    expect((await live.exec('echo still running')).stdout).toBe('still running\n');

    await Promise.all([live.stop(), gone.stop(), foreign.stop()]);
    expect(await exists(live.id)).toBe(false);
  });

  it('keeps a container when the liveness check fails', async () => {
    const taskId = uniqueId('unsure');
    const sandbox = new DockerSandbox({ taskId, image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project });
    await sandbox.start();
    const result = await reapOrphans({ project, minAgeMs: 0, isLive: () => Promise.reject(new Error('redis down')) });
    expect(result).toEqual({ removed: [], kept: [sandbox.id] });
    await sandbox.stop();
  });

  it("a run that takes a turn over removes the earlier runs' sandboxes of that task, a warm one it had claimed included", async () => {
    const taskId = uniqueId('taken');
    const other = uniqueId('other');
    const make = (t: string, runId: string) => new DockerSandbox({ taskId: t, image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project, runId, workerId: 'w-dead' });
    const deadRun = make(taskId, 'run-dead');
    const newRun = make(taskId, 'run-new');
    const otherTask = make(other, 'run-x');
    await Promise.all([deadRun.start(), newRun.start(), otherTask.start()]);
    // Warm sandboxes carry no task label: claimed ones are named after their task (WarmPool.claim).
    const warm = async (name: string, owner: string) => {
      const c = await docker.createContainer({ name, Image: IMAGE, Cmd: ['sleep', 'infinity'], Labels: { 'codex.project': project, 'codex.role': 'warm', 'codex.pool-owner': owner } });
      await c.start();
      return name;
    };
    const claimedByDead = await warm(`${project}-${taskId}-w0123456789`, 'w-dead');
    const claimedForOther = await warm(`${project}-${other}-wabcdef0123`, 'w-dead');
    const unclaimed = await warm(`${project}-warm-${uniqueId('u').slice(-10)}`, 'w-alive');

    const removed = await reapSupersededRuns({ docker, project, taskId, runId: 'run-new' });
    expect(removed.sort()).toEqual([deadRun.id, claimedByDead].sort());
    expect(await exists(newRun.id)).toBe(true);
    expect(await exists(otherTask.id)).toBe(true);
    expect(await exists(claimedForOther)).toBe(true);
    expect(await exists(unclaimed)).toBe(true);

    // A worker's shutdown removes what it made and its pool's sandboxes, nobody else's.
    const gone = await removeWorkerContainers({ docker, project, workerId: 'w-dead' });
    expect(gone.sort()).toEqual([newRun.id, otherTask.id, claimedForOther].sort());
    expect(await exists(unclaimed)).toBe(true);
    await docker.getContainer(unclaimed).remove({ force: true });
  });
});
