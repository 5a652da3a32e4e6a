import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { scriptByPrompt, startTask, waitEvent, waitShows, waitStatus } from '../helpers/thread.js';

/*
 * limits.maxRunningTasks: a task over the cap waits in line without holding a worker slot, its
 * card says so with its place, and it runs as soon as a slot frees.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

describe('running-task caps', () => {
  it('shows a task over the cap waiting in line, then runs it once a slot frees', { timeout: 90_000 }, async () => {
    e = await startE2E({
      repoConfig: { limits: { maxRunningTasks: 1 } },
      script: scriptByPrompt({
        'first task': (_req, n) => (n === 0 ? reply(functionCall('shell', { command: 'sleep 6' })) : reply(message('First done.'))),
        'second task': () => reply(message('Second done.')),
      }),
    });
    const first = await startTask(e, 'first task');
    await waitEvent(e, first.taskId, 'command_started');
    const second = await startTask(e, 'second task');
    await waitShows(e, FAKE_IDS.channel, second.card.ts, 'next in line', 15_000);
    const waiting = await waitEvent(e, second.taskId, 'turn_waiting');
    expect(waiting.place).toBe(1);
    // It did not start while the first one ran.
    expect((await e.store.getTask(second.taskId))?.status).toBe('queued');
    await waitStatus(e, first.taskId, 'done', 60_000);
    await waitStatus(e, second.taskId, 'done', 60_000);
    const events = await e.store.readEvents(second.taskId);
    const started = events.find((ev) => ev.type === 'turn_starting')!;
    const firstDone = (await e.store.readEvents(first.taskId)).find((ev) => ev.type === 'task_completed')!;
    expect(Date.parse(started.at)).toBeGreaterThanOrEqual(Date.parse(firstDone.at));
  });
});
