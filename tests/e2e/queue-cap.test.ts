import { afterEach, describe, expect, it } from 'vitest';
import { message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, slash, startE2E, type E2E } from '../helpers/e2e.js';

/*
 * One person cannot fill the queue: past limits.maxQueuedTasksPerUser, /codex task is refused
 * with a sentence saying what to do; cancelling one makes room; others are not affected.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, owner, other } = FAKE_IDS;
const cards = (e: E2E) => e.fake.messages(channel).filter((m) => m.metadata?.event_type === 'codex_task_status');

describe('the per-person queue cap', () => {
  it('refuses a task past the cap, makes room after a cancel, and counts each person apart', { timeout: 60_000 }, async () => {
    // No worker: every task stays in the queue.
    e = await startE2E({ env: { CODEX_ROLE: 'app' }, repoConfig: { limits: { maxQueuedTasksPerUser: 2 } }, script: [reply(message('never'))] });
    for (const n of [1, 2]) {
      expect((await slash(e, `task queued task ${n}`)).body).toBe('');
      await e.fake.waitFor(() => cards(e!).length === n, 10_000);
    }
    const refused = await slash(e, 'task one too many');
    expect(refused.body).toContain('2 tasks waiting in the queue');
    expect(refused.body).toContain('cancel');
    expect(cards(e)).toHaveLength(2);
    // Someone else is not held up by the owner's queue.
    expect((await slash(e, 'task theirs', { user_id: other })).body).toBe('');
    await e.fake.waitFor(() => cards(e!).length === 3, 10_000);

    // Cancelling one of the owner's makes room for the next.
    const first = cards(e)[0]!.metadata!.event_payload.task_id as string;
    expect((await slash(e, `cancel ${first}`)).body).toContain('Cancelling');
    await e.fake.waitFor(async () => (await e!.store.getTask(first))?.status === 'cancelled', 10_000);
    expect((await slash(e, 'task now it fits')).body).toBe('');
    await e.fake.waitFor(() => cards(e!).length === 4, 10_000);
    expect(await e.store.queuedCountOf(owner)).toBe(2);
  });
});
