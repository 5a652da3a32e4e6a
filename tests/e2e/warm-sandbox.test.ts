import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply } from '../fakes/model-server.js';
import { containersOf, slash, startE2E, warmContainersOf, type E2E } from '../helpers/e2e.js';

/*
 * The warm pool end to end (config `sandbox.warmPool`, default 1): the worker starts a sandbox
 * before any task, a task runs its commands in it (the command reads its own container id), the
 * pool refills behind it, and stopping the worker removes the pool.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const until = async <T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 200));
  }
};

const PROBE = 'grep -o "containers/[0-9a-f]\\{64\\}" /proc/self/mountinfo | head -1; ls -A /workspace | tr "\\n" " "; echo; ls /sys/class/net';

describe('warm sandboxes', () => {
  it('runs a task in the sandbox the worker started ahead of it, refills the pool, and removes it on stop', { timeout: 180_000 }, async () => {
    e = await startE2E({ script: [reply(functionCall('shell', { command: PROBE })), reply(message('Looked around.'))] });
    const [warm] = await until(async () => {
      const list = await warmContainersOf(e!.prefix);
      return list.length === 1 && list[0]!.state === 'running' ? list : undefined;
    }, 90_000);

    expect((await slash(e, 'task look around')).status).toBe(200);
    const taskId = await until(async () => (await e!.store.activeTaskIds())[0], 20_000);
    await until(async () => ((await e!.store.getTask(taskId))?.status === 'done' ? true : undefined), 120_000);

    // The command ran in the pool's container, which held the task's checkout and no network.
    const output = lastToolOutput(e.model.requests[1]!);
    expect(output).toContain(`containers/${warm!.id}\n.git package.json src test \nlo`);

    // The claimed container is gone with its turn; a new one is ready in its place.
    expect(await containersOf(taskId)).toEqual([]);
    const [refilled] = await until(async () => {
      const list = await warmContainersOf(e!.prefix);
      return list.length === 1 && list[0]!.state === 'running' ? list : undefined;
    }, 90_000);
    expect(refilled!.id).not.toBe(warm!.id);
    expect(refilled!.name).toMatch(new RegExp(`^${e.prefix}-warm-`));

    await e.codex.stop(5_000);
    expect(await warmContainersOf(e.prefix)).toEqual([]);
  });

  it('starts no pool with sandbox.warmPool 0, and the task still runs', { timeout: 180_000 }, async () => {
    e = await startE2E({ script: [reply(functionCall('shell', { command: 'echo cold' })), reply(message('Done.'))], repoConfig: { sandbox: { warmPool: 0 } } });
    expect((await slash(e, 'task cold start')).status).toBe(200);
    const taskId = await until(async () => (await e!.store.activeTaskIds())[0], 20_000);
    await until(async () => ((await e!.store.getTask(taskId))?.status === 'done' ? true : undefined), 120_000);
    expect(lastToolOutput(e.model.requests[1]!)).toContain('cold');
    expect(await warmContainersOf(e.prefix)).toEqual([]);
  });
});
