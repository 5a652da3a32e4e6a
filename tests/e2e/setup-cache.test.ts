import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskEvent } from '../../src/tasks/protocol.js';
import { functionCall, message, reply } from '../fakes/model-server.js';
import { CALC_FILES, FAKE_IDS, git, startE2E, type E2E } from '../helpers/e2e.js';
import { startNetworkServer } from '../helpers/network-server.js';
import { replyInThread, shown, startTask, waitStatus } from '../helpers/thread.js';

/*
 * The setup cache, end to end: setup fetches a marker from a server on the repo's network (the
 * server counts runs) and makes node_modules. A second task with the same lockfile, and a
 * follow-up turn, start with node_modules restored and setup not run (the thread says so); a
 * changed lockfile runs setup again.
 */

let e: E2E | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const { channel, owner } = FAKE_IDS;
const SETUP = 'curl -sf --max-time 5 http://netserver:8080/setup-ran >/dev/null && mkdir -p node_modules/dep && echo "built-$(sha1sum package-lock.json | cut -c1-8)" > node_modules/dep/index.js';
const LOOK = 'cat node_modules/dep/index.js';
const turn = () => [reply(functionCall('shell', { command: LOOK })), reply(message('Looked at the dependencies.'))];

/** What the agent's `cat` printed in the task's last turn. */
function seen(events: TaskEvent[]): string | undefined {
  const last = events.findLast((ev) => ev.type === 'command_finished' && ev.command === LOOK);
  return last?.type === 'command_finished' ? last.outputTail : undefined;
}

describe('setup cache', () => {
  it('restores what setup made for the same image, commands and lockfiles; a changed lockfile runs setup again', { timeout: 240_000 }, async () => {
    const server = await startNetworkServer('ok');
    cleanups.push(() => server.remove());
    e = await startE2E({
      files: { ...CALC_FILES, 'package-lock.json': '{"lockfileVersion": 3, "v": 1}\n', '.gitignore': 'node_modules\n' },
      repo: { network: server.network, networkAllow: ['netserver'], setup: [SETUP], approval: { mode: 'never', network: true, timeoutMinutes: 5 } },
      script: [...turn(), ...turn(), ...turn(), ...turn()],
    });

    // First task: a miss; setup runs (one request) and its node_modules is there for the agent.
    const first = await startTask(e, 'look at the deps');
    await waitStatus(e, first.taskId, 'done', 90_000);
    expect(await server.requests()).toEqual(['/setup-ran']);
    const firstEvents = await e.store.readEvents(first.taskId);
    expect(firstEvents.some((ev) => ev.type === 'setup_restored')).toBe(false);
    const built = seen(firstEvents);
    expect(built).toMatch(/^built-[0-9a-f]{8}/);

    // A follow-up on the agent's tree: restored from the cache its first turn filled, so no
    // approval for setup's network is needed and setup does not run.
    await replyInThread(e, first.card.ts, owner, 'look again');
    await e.fake.waitFor(async () => {
      const t = await e!.store.getTask(first.taskId);
      return t?.turn === 2 && t.status === 'done' && t;
    }, 90_000);
    const followUp = await e.store.readEvents(first.taskId);
    expect(followUp.filter((ev) => ev.type === 'setup_restored')).toHaveLength(1);
    expect(followUp.some((ev) => ev.type === 'approval_requested')).toBe(false);
    expect(seen(followUp)).toBe(built);

    // Second task, same lockfile: restored, said in the thread, setup not run.
    const second = await startTask(e, 'look at the deps again');
    await waitStatus(e, second.taskId, 'done', 90_000);
    expect(await server.requests()).toEqual(['/setup-ran']);
    const secondEvents = await e.store.readEvents(second.taskId);
    expect(secondEvents.some((ev) => ev.type === 'setup_restored')).toBe(true);
    expect(secondEvents.some((ev) => ev.type === 'command_started' && ev.callId.startsWith('setup-'))).toBe(false);
    expect(seen(secondEvents)).toBe(built);
    await e.fake.waitFor(() => e!.fake.thread(channel, second.card.ts).some((m) => /Setup restored from cache/.test(shown(m))), 30_000);
    // Nothing setup made reaches the branch (ignored), nor the pack the cache was filled from.
    expect(e.mirrorGit('ls-tree', '-r', '--name-only', `refs/heads/${(await e.store.getTask(first.taskId))!.branch}`)).not.toMatch(/node_modules|codex-setup-cache/);

    // The lockfile changes upstream: a new key, setup runs again.
    writeFileSync(`${e.upstream}/package-lock.json`, '{"lockfileVersion": 3, "v": 2}\n');
    git(e.upstream, 'commit', '-q', '-am', 'bump the lockfile');
    const third = await startTask(e, 'look at the new deps');
    await waitStatus(e, third.taskId, 'done', 90_000);
    expect(await server.requests()).toEqual(['/setup-ran', '/setup-ran']);
    const thirdEvents = await e.store.readEvents(third.taskId);
    expect(thirdEvents.some((ev) => ev.type === 'setup_restored')).toBe(false);
    expect(seen(thirdEvents)).toMatch(/^built-[0-9a-f]{8}/);
    expect(seen(thirdEvents)).not.toBe(built);
  });
});
