import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { ackMessage, sendCommand, visibleText } from '../helpers/slack-checks.js';
import { startTask, waitStatus } from '../helpers/thread.js';

/*
 * `/codex list`: the running and queued tasks the person may see (the owner, a configured
 * approver, anyone in the task's channel), ephemeral, each with its id, repo, owner, state, age
 * and a link to its thread; ended tasks are not listed. One worker slot: the first task runs
 * (its model call never answers), the next ones wait in the queue.
 */

let e: E2E;
let running: { taskId: string; threadTs: string };
let queued: string;
let cancelled: string;

beforeAll(async () => {
  e = await startE2E({
    script: () => ({ hang: true }),
    env: { WORKER_CONCURRENCY: '1' },
    repoConfig: { access: { approvers: [FAKE_IDS.approver] } },
  });
  const first = await startTask(e, 'the running one');
  running = { taskId: first.taskId, threadTs: first.card.ts };
  await waitStatus(e, first.taskId, 'working');
  await e.model.waitForRequests(1);
  queued = (await startTask(e, 'the queued one', { channel_id: FAKE_IDS.otherChannel })).taskId;
  cancelled = (await startTask(e, 'the cancelled one')).taskId;
  expect(ackMessage(await sendCommand(e, `cancel ${cancelled}`)).text).toContain('Cancelling');
  await waitStatus(e, cancelled, 'cancelled');
}, 120_000);
afterAll(async () => {
  await e?.cleanup();
});

const listed = async (fields: { user_id?: string; channel_id?: string }) => {
  const ack = ackMessage(await sendCommand(e, 'list', fields));
  expect(ack.response_type).toBe('ephemeral');
  return visibleText(ack);
};

describe('/codex list', () => {
  it("shows the owner's running and queued tasks with id, repo, owner, state, age and thread link, and not the ended one", async () => {
    const shown = await listed({});
    expect(shown).toContain(`\`${running.taskId}\` Working`);
    expect(shown).toContain(`\`${queued}\` Queued`);
    expect(shown).not.toContain(cancelled);
    expect(shown).toContain(`<@${FAKE_IDS.owner}>`);
    expect(shown).toContain('calc');
    expect(shown).toMatch(/\d+s ago/);
    const call = e.fake.callsTo('chat.getPermalink').find((c) => c.args.message_ts === running.threadTs && c.args.channel === FAKE_IDS.channel);
    const link = String(call?.response.permalink);
    expect(link).toMatch(/^http/);
    expect(shown).toContain(`<${link}|thread>`);
    // The running task comes first (oldest first).
    expect(shown.indexOf(running.taskId)).toBeLessThan(shown.indexOf(queued));
  });

  it('shows someone else only the tasks of the channel where they ask; an approver sees all', async () => {
    const other = await listed({ user_id: FAKE_IDS.other, channel_id: FAKE_IDS.otherChannel });
    expect(other).toContain(queued);
    expect(other).not.toContain(running.taskId);
    const approver = await listed({ user_id: FAKE_IDS.approver, channel_id: FAKE_IDS.privateChannel });
    expect(approver).toContain(queued);
    expect(approver).toContain(running.taskId);
    const nobody = await listed({ user_id: FAKE_IDS.other, channel_id: FAKE_IDS.privateChannel });
    expect(nobody).toContain('No running or queued tasks that you can see');
    expect(nobody).not.toContain(queued);
  });
});
