import { afterEach, describe, expect, it } from 'vitest';
import { message, reply } from '../fakes/model-server.js';
import { messageEvent } from '../fakes/slack-signing.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { taskKeys } from '../helpers/slack-checks.js';

/*
 * Requests that do not come from Slack: a wrong signature, a timestamp older than five minutes
 * (a replayed request), no signature at all. Each gets 401 and creates nothing: no message in
 * the fake Slack, no task key in Redis, no model request. The whole product runs (worker and
 * Docker included), so a request that slipped through would show up in all three places; the
 * last step sends the same command correctly signed and sees exactly one task appear.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const SIX_MINUTES = 6 * 60;

describe('Slack request signatures', () => {
  it('refuses a bad signature, a stale timestamp and a missing signature with 401, and creates nothing', { timeout: 90_000 }, async () => {
    // One model reply: a second task reaching the model would get `script_exhausted` and fail.
    e = await startE2E({ script: [reply(message('Nothing to change; the code is fine.'))] });
    // respond() posts would land in the fake too.
    const command = { text: 'task fix the add function', response_url: e.fake.responseUrl() };

    const refused = [
      await e.sender.slashCommand(command, { badSignature: true }),
      await e.sender.slashCommand(command, { ageSec: SIX_MINUTES }),
      await e.sender.slashCommand(command, { ageSec: SIX_MINUTES, badSignature: true }),
      await e.sender.slashCommand(command, { unsigned: true }),
      // Thread replies and buttons come through the same endpoint and are refused the same way.
      await e.sender.event(messageEvent({ channel: FAKE_IDS.channel, user: FAKE_IDS.owner, text: 'also fix subtract', ts: '1700000000.000100', thread_ts: '1700000000.000001' }), { badSignature: true }),
      await e.sender.blockAction({ actionId: 'codex_cancel', value: '{}', messageTs: '1700000000.000001' }, { ageSec: SIX_MINUTES }),
    ];
    for (const r of refused) {
      expect(r.status).toBe(401);
    }
    expect(e.fake.callsTo('chat.postMessage')).toEqual([]);
    expect(e.fake.callsTo('chat.postEphemeral')).toEqual([]);
    expect(e.fake.responses()).toEqual([]);
    expect(await taskKeys(e.redis, e.prefix)).toEqual([]);
    expect(e.model.requests).toEqual([]);

    // Correctly signed, the same command makes exactly one task, which runs to its end: the
    // checks above would have seen any of the refused ones.
    const accepted = await e.sender.slashCommand(command);
    expect(accepted.status).toBe(200);
    const root = await e.fake.waitFor(() => e!.fake.messages(FAKE_IDS.channel).find((m) => m.metadata?.event_type === 'codex_task_status'), 10_000);
    const taskId = root.metadata!.event_payload.task_id as string;
    await e.fake.waitFor(async () => (await e!.store.getTask(taskId))?.status === 'done', 60_000);
    expect(e.fake.messages(FAKE_IDS.channel).filter((m) => m.metadata?.event_type === 'codex_task_status')).toHaveLength(1);
    expect(new Set((await taskKeys(e.redis, e.prefix)).map((k) => k.split(':')[2]))).toEqual(new Set([taskId]));
    expect(e.model.requests).toHaveLength(1);
  });

  it('accepts a timestamp just inside the five minutes', { timeout: 30_000 }, async () => {
    e = await startE2E({ script: [], env: { CODEX_ROLE: 'app' } });
    const r = await e.sender.slashCommand({ text: 'help' }, { ageSec: 4 * 60 });
    expect(r.status).toBe(200);
    expect((r.json as { response_type?: string }).response_type).toBe('ephemeral');
  });
});
