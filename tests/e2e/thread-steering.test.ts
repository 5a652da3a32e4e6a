import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply } from '../fakes/model-server.js';
import { messageEvent } from '../fakes/slack-signing.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { current, ephemeralsFor, reactions, replyInThread, startTask, userText, versions, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * Thread replies as steering, end to end: a reply from someone allowed to steer reaches the
 * running agent in its next model request, marked 👀 at once and ✅ once taken; the card
 * shows it pending in between. Retried deliveries, bots, edits and others are not steering.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, owner, other, approver } = FAKE_IDS;

describe('steering by thread reply', () => {
  it('takes the reply into the next request once, with 👀 then ✅, and shows it pending on the card', { timeout: 60_000 }, async () => {
    e = await startE2E({
      script: [
        reply(functionCall('shell', { command: 'sleep 3 && echo slept' })),
        (req) => {
          if (!lastToolOutput(req).includes('slept')) throw new Error('the command did not finish before the next request');
          return reply(message('Done, and I used the steering.'));
        },
      ],
    });
    const { taskId, card } = await startTask(e, 'tidy the math module');
    await waitEvent(e, taskId, 'command_started');

    // The same reply delivered twice (Slack's retry carries the same event_id), at once.
    const steer = e.fake.injectMessage({ channel, user: owner, text: 'please also keep the old name as an alias', thread_ts: card.ts });
    const eventId = 'EvSTEER0001';
    const [first, retry] = await Promise.all([e.sender.event(messageEvent(steer), { eventId }), e.sender.event(messageEvent(steer), { eventId, retryNum: 1 })]);
    expect([first.status, retry.status]).toEqual([200, 200]);

    // 👀 at once, while the command still runs; the card says a reply is waiting.
    await e.fake.waitFor(() => reactions(e!, channel, steer.ts).includes('eyes'), 15_000);
    expect(reactions(e, channel, steer.ts)).not.toContain('white_check_mark');
    await e.fake.waitFor(() => current(e!, channel, card.ts).includes('1 reply waiting for the agent'), 15_000);

    // ✅ once the agent took it into its next step.
    await e.fake.waitFor(() => reactions(e!, channel, steer.ts).includes('white_check_mark'), 15_000);
    await waitStatus(e, taskId, 'done', 20_000);

    // The next request holds the reply once, as steering from the owner, after the command's output.
    const next = e.model.requests[1]!;
    const said = userText(next);
    expect(said.split('please also keep the old name as an alias').length - 1).toBe(1);
    expect(said).toContain(`[Steering from <@${owner}> while you were working]`);
    expect(lastToolOutput(next)).toContain('slept');
    // One steer operation was written, not two.
    const ops = await e.store.readOps(taskId, '0');
    expect(ops.filter((o) => o.op.type === 'steer')).toHaveLength(1);
    // The card stops showing the reply as pending once taken.
    await e.fake.waitFor(() => current(e!, channel, card.ts).includes('Done'), 10_000);
    expect(current(e, channel, card.ts)).not.toContain('waiting for the agent');
    expect(versions(e, channel, card.ts).some((v) => v.includes('1 reply waiting for the agent'))).toBe(true);
  });

  it('ignores replies from others (with a note on who may steer), bots, edits, deletions and other subtypes; a configured approver may steer', { timeout: 60_000 }, async () => {
    e = await startE2E({
      repo: { access: { approvers: [approver] } },
      script: [
        reply(functionCall('shell', { command: 'sleep 3' })),
        reply(message('Finished.')),
      ],
    });
    const { taskId, card } = await startTask(e, 'tidy the math module');
    await waitEvent(e, taskId, 'command_started');

    // Someone who is neither the owner nor an approver or steerer.
    const stranger = await replyInThread(e, card.ts, other, 'STRANGER: delete everything');
    // A bot's reply, an edit, a deletion and a join, each shaped to look like the owner's words.
    const base = { channel, thread_ts: card.ts, user: owner, team: FAKE_IDS.team };
    const ts = () => e!.fake.injectMessage({ channel, user: owner, text: 'x', thread_ts: card.ts }).ts;
    await e.sender.event({ type: 'message', ...base, ts: ts(), text: 'BOT: from another bot', bot_id: 'B0OTHERBOT', subtype: 'bot_message' });
    await e.sender.event({ type: 'message', ...base, ts: ts(), text: 'BOTNOSUB: bot without subtype', bot_id: 'B0OTHERBOT' });
    await e.sender.event({ type: 'message', ...base, subtype: 'message_changed', ts: ts(), text: 'EDIT: edited words', hidden: true, message: { type: 'message', user: owner, text: 'EDIT: edited words', ts: card.ts } });
    await e.sender.event({ type: 'message', ...base, subtype: 'message_deleted', ts: ts(), text: 'DELETE: gone', hidden: true, deleted_ts: card.ts });
    await e.sender.event({ type: 'message', ...base, subtype: 'channel_join', ts: ts(), text: 'JOIN: has joined' });
    // A configured approver may steer.
    const byApprover = await replyInThread(e, card.ts, approver, 'APPROVER: keep the tests green');
    // A reply outside any task's thread is nobody's steering.
    await e.sender.event(messageEvent(e.fake.injectMessage({ channel, user: owner, text: 'ELSEWHERE: unrelated', thread_ts: e.fake.injectMessage({ channel, user: owner, text: 'a root' }).ts })));

    const note = await e.fake.waitFor(() => ephemeralsFor(e!, other)[0], 15_000);
    expect(note).toContain(`Only <@${owner}>, who started this task, and <@${approver}> can steer it.`);
    await waitStatus(e, taskId, 'done', 30_000);
    await e.fake.waitFor(() => reactions(e!, channel, byApprover.ts).includes('white_check_mark'), 10_000);

    const said = e.model.requests.map(userText).join('\n');
    expect(said).toContain('APPROVER: keep the tests green');
    for (const word of ['STRANGER', 'BOT:', 'BOTNOSUB', 'EDIT', 'DELETE', 'JOIN', 'ELSEWHERE']) expect(said).not.toContain(word);
    expect(reactions(e, channel, stranger.ts)).toEqual([]);
    const ops = await e.store.readOps(taskId, '0');
    expect(ops.map((o) => o.op.type === 'steer' && o.op.text)).toEqual(['APPROVER: keep the tests green']);
    expect(ephemeralsFor(e, owner)).toEqual([]);
  });
});
