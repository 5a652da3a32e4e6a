import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply, userMessages, type RecordedRequest } from '../fakes/model-server.js';
import { FIX_PATCH, startE2E, type E2E } from '../helpers/e2e.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { startTask, waitEvent, waitStatus } from '../helpers/thread.js';
import { killWorker, startWorkerProcess, workerEnv, type WorkerProcess } from '../helpers/worker-process.js';

/*
 * A deploy stops a worker process (SIGTERM) while a turn runs and Redis has just gone away.
 * The process must still exit within its grace period (CODEX_STOP_GRACE_SEC), leaving no
 * sandbox behind; once Redis is back, another worker carries the turn on from its checkpoint.
 * (Before, such a process never exited: every Redis call of its shutdown waited for ever.)
 */

let e: E2E | undefined;
let redis: PrivateRedis | undefined;
const workers: WorkerProcess[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await killWorker(w);
  await e?.cleanup();
  e = undefined;
  await redis?.stop();
  redis = undefined;
});

const GRACE_SEC = 8;
const resumed = (req: RecordedRequest) => userMessages(req).some((m) => m.includes('The worker running this task restarted'));

describe('SIGTERM with Redis unreachable', () => {
  it('exits within the grace period with no sandbox left, and the turn goes on once Redis is back', { timeout: 240_000 }, async () => {
    redis = await startPrivateRedis({ appendOnly: true });
    let step = 0;
    e = await startE2E({
      env: { CODEX_ROLE: 'app', REDIS_URL: redis.url },
      script: (req) => {
        if (resumed(req)) return reply(message('Fixed add after the restart.'));
        step += 1;
        return step === 1 ? reply(functionCall('apply_patch', { input: FIX_PATCH })) : reply(functionCall('shell', { command: 'sleep 25', timeout_ms: 120_000 }));
      },
    });
    const env = workerEnv(e, { LOCK_MS: '5000', STALLED_MS: '2000', CODEX_STOP_GRACE_SEC: String(GRACE_SEC) });
    const first = await startWorkerProcess(env);
    workers.push(first);
    const { taskId } = await startTask(e, 'fix add, then wait');
    await waitEvent(e, taskId, 'command_started', (ev) => ev.command === 'sleep 25', 90_000);
    const docker = new Docker();
    const containersOfFirst = () => docker.listContainers({ all: true, filters: { label: [`codex.worker=${first.id}`] } });
    expect(await containersOfFirst()).not.toHaveLength(0);

    await redis.kill();
    first.proc.kill('SIGTERM');
    // Far beyond the grace period and the margin the process gives itself: a process that waits
    // for Redis for ever fails here.
    const code = await Promise.race([first.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), (GRACE_SEC + 40) * 1000))]);
    // 0: the shutdown finished by itself, within the grace period, rather than by its last-resort exit.
    expect(code, first.output()).toBe(0);
    expect(await containersOfFirst()).toEqual([]);

    await redis.restart();
    const second = await startWorkerProcess(env);
    workers.push(second);
    await waitStatus(e, taskId, 'done', 150_000);
    const events = await e.store.readEvents(taskId);
    expect(events.filter((ev) => ev.type === 'task_completed')).toHaveLength(1);
    expect(events.filter((ev) => ev.type === 'turn_resumed')).toHaveLength(1);
    expect(e.mirrorGit('show', `${(await e.store.getTask(taskId))!.branch}:src/math.js`)).toContain('a + b');
  });
});
