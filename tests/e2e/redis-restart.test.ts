import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply, type RecordedRequest } from '../fakes/model-server.js';
import { FAKE_IDS, FIX_PATCH, startE2E, type E2E } from '../helpers/e2e.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { startTask, waitEvent, waitShows, waitStatus } from '../helpers/thread.js';
import type { WorkerTuning } from '../../src/worker/start-worker.js';

/*
 * Redis restarted while a turn runs, with its append-only file on as compose runs it: the
 * product runs against a redis-server of the test's own, which is restarted (SIGTERM, as
 * `docker compose restart redis` does, then started again on its file) while the agent's long
 * command runs. The task completes, with one summary, and the card ends on Done.
 */

let e: E2E | undefined;
let redis: PrivateRedis | undefined;
afterEach(async () => {
  await e?.cleanup();
  await redis?.stop();
  e = undefined;
  redis = undefined;
});

/**
 * The model, by what it reads: run the long command; once its output is there, fix the code;
 * once fixed, finish. A command cut short (a run that lost its turn) is run again.
 */
const script = (req: RecordedRequest) => {
  const input = req.body.input as Array<{ type: string; name?: string; output?: string }>;
  const outputs = input.filter((i) => i.type === 'function_call_output').map((i) => String(i.output));
  if (outputs.some((o) => o.includes('another worker run'))) throw new Error('a superseded run reached the model');
  const lastCall = input.findLast((i) => i.type === 'function_call');
  if (lastCall?.name === 'apply_patch') return reply(message('Fixed `add` to add.'));
  if (outputs.at(-1)?.includes('slept')) return reply(functionCall('apply_patch', { input: FIX_PATCH }));
  return reply(message('Reading first.'), functionCall('shell', { command: 'sleep 6; echo slept; cat src/math.js' }));
};

async function restartMidTurn(tuning?: WorkerTuning, downForMs = 0): Promise<void> {
  redis = await startPrivateRedis({ appendOnly: true });
  e = await startE2E({ script, env: { REDIS_URL: redis.url }, ...(tuning ? { workerTuning: tuning } : {}) });
  const { taskId, card } = await startTask(e, 'fix the add function');
  await waitEvent(e, taskId, 'command_started', () => true, 60_000);
  await redis.restart({ graceful: true, downForMs });

  await waitStatus(e, taskId, 'done', 90_000);
  await waitShows(e, FAKE_IDS.channel, card.ts, 'Done', 30_000);
  const events = await e.store.readEvents(taskId);
  // The command was running across the restart, and the turn went on from there.
  expect(events.findLast((ev) => ev.type === 'command_finished')).toMatchObject({ exitCode: 0 });
  expect(events.filter((ev) => ev.type === 'task_completed')).toHaveLength(1);
  expect(events.filter((ev) => ev.type === 'task_failed')).toHaveLength(0);
  await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, card.ts).some((m) => m.metadata?.event_type === 'codex_task_summary'), 20_000);
  const summaries = e.fake.thread(FAKE_IDS.channel, card.ts).filter((m) => m.metadata?.event_type === 'codex_task_summary');
  expect(summaries).toHaveLength(1);
  expect(e.model.requests.length).toBeGreaterThanOrEqual(3);
  const task = await e.store.getTask(taskId);
  expect(e.mirrorGit('show', `${task!.branch}:src/math.js`)).toContain('return a + b');
}

describe('Redis restarted mid-turn (append-only file on)', () => {
  it('completes the task with one summary', { timeout: 180_000 }, async () => {
    await restartMidTurn();
  });

  it('completes the task with one summary when the job lock is renewed across the restart', { timeout: 180_000 }, async () => {
    // Locks renewed every second: a renewal falls in the restart.
    await restartMidTurn({ lockDurationMs: 2_000, stalledIntervalMs: 1_000 });
  });

  it('completes the task with one summary when Redis stays down longer than the job lock', { timeout: 180_000 }, async () => {
    // The lock expires while Redis is down: on its return the job counts as stalled.
    await restartMidTurn({ lockDurationMs: 2_000, stalledIntervalMs: 1_000 }, 3_000);
  });
});
