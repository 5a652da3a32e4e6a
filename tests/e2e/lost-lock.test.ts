import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply, userMessages, type RecordedRequest } from '../fakes/model-server.js';
import { FIX_PATCH, git, startE2E, type E2E } from '../helpers/e2e.js';
import { waitEvent, startTask, waitStatus } from '../helpers/thread.js';

/*
 * A task never runs twice at once. The job's lock is deleted while its first run works; BullMQ
 * hands the job to a second run; the first is aborted and fenced (its writes refused), and the
 * turn ends once, with one commit and one task_completed.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const resumed = (req: RecordedRequest) => userMessages(req).some((m) => m.includes('The worker running this task restarted'));

describe('a job whose lock is lost', () => {
  it('ends its turn exactly once: one commit, one task_completed', { timeout: 120_000 }, async () => {
    let finishing = 0;
    e = await startE2E({
      workerTuning: { lockDurationMs: 5_000, stalledIntervalMs: 2_000 },
      script: (req) => {
        if (!resumed(req)) return reply(functionCall('shell', { command: 'sleep 20; echo first run', timeout_ms: 60_000 }));
        finishing += 1;
        return finishing === 1 ? reply(functionCall('apply_patch', { input: FIX_PATCH })) : reply(message('Fixed add after the restart.'));
      },
    });
    const { taskId } = await startTask(e, 'fix add slowly');
    await waitEvent(e, taskId, 'command_started');
    // What a lost lock looks like: the job is active, and its lock is gone.
    expect(await e.redis.del(`${e.prefix}-bull:codex-tasks:${taskId}:lock`)).toBe(1);

    const task = await waitStatus(e, taskId, 'done', 90_000);
    const events = await e.store.readEvents(taskId);
    expect(events.filter((ev) => ev.type === 'task_completed')).toHaveLength(1);
    expect(events.filter((ev) => ev.type === 'task_failed')).toHaveLength(0);
    expect(events.filter((ev) => ev.type === 'turn_starting').length).toBeGreaterThanOrEqual(2);
    expect(e.mirrorGit('rev-list', '--count', `${git(e.upstream, 'rev-parse', 'main')}..${task.branch}`)).toBe('1');
    expect(e.mirrorGit('show', `${task.branch}:src/math.js`)).toContain('a + b');
  });
});
