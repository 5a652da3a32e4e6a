import { afterEach, describe, expect, it } from 'vitest';
import { startCodex, type CodexProcess } from '../../src/app.js';
import { silentLogger } from '../../src/logger.js';
import { functionCall, message, reply, userMessages, type RecordedRequest } from '../fakes/model-server.js';
import { FIX_PATCH, slash, startE2E, type E2E } from '../helpers/e2e.js';
import { startTask, waitEvent, waitShows, waitStatus } from '../helpers/thread.js';
import { FAKE_IDS } from '../helpers/e2e.js';

/*
 * Deploys and cancels: a worker told to stop hands its running turn back to the queue with the
 * work so far saved on the task branch, and another worker carries the turn on; a cancel
 * reaches a turn that is still being prepared (its setup running).
 */

let e: E2E | undefined;
let second: CodexProcess | undefined;
afterEach(async () => {
  await second?.stop(5_000);
  second = undefined;
  await e?.cleanup();
  e = undefined;
});

const resumed = (req: RecordedRequest) => userMessages(req).some((m) => m.includes('The worker running this task restarted'));

describe('a worker that stops mid-turn', () => {
  it('hands the turn back with its edits saved, and another worker finishes it', { timeout: 120_000 }, async () => {
    let step = 0;
    e = await startE2E({
      script: (req) => {
        if (resumed(req)) return reply(message('Finished after the handover.'));
        step += 1;
        return step === 1 ? reply(functionCall('apply_patch', { input: FIX_PATCH })) : reply(functionCall('shell', { command: 'sleep 60', timeout_ms: 90_000 }));
      },
    });
    const { taskId } = await startTask(e, 'fix add then wait');
    await waitEvent(e, taskId, 'command_started', (ev) => ev.command === 'sleep 60');
    // Another worker is up; this one is told to stop (a deploy).
    second = await startCodex(e.config, silentLogger());
    await e.codex.worker!.stop(30_000, 0);

    const task = await waitStatus(e, taskId, 'done', 90_000);
    const events = await e.store.readEvents(taskId);
    expect(events.filter((ev) => ev.type === 'turn_starting')).toHaveLength(2);
    expect(events.filter((ev) => ev.type === 'task_completed')).toHaveLength(1);
    // The edit made before the handover is on the branch.
    expect(e.mirrorGit('show', `${task.branch}:src/math.js`)).toContain('a + b');
    expect(e.mirrorGit('log', '--format=%s', task.branch)).toContain('work in progress');
  });
});

describe('cancel while a turn is prepared', () => {
  it('stops the running setup and ends the task cancelled, before the agent starts', { timeout: 90_000 }, async () => {
    e = await startE2E({ repo: { setup: ['sleep 60'] }, script: [reply(message('never'))] });
    const { taskId, card } = await startTask(e, 'wait for setup');
    await waitEvent(e, taskId, 'command_started', (ev) => ev.command === 'sleep 60');
    expect((await slash(e, `cancel ${taskId}`)).body).toContain('Cancelling');
    await waitStatus(e, taskId, 'cancelled', 30_000);
    await waitShows(e, FAKE_IDS.channel, card.ts, 'Cancelled');
    expect(e.model.requests).toHaveLength(0);
  });
});
