import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply } from '../fakes/model-server.js';
import type { FakeMessage } from '../fakes/slack-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { buttonValue, click, current, ephemeralsFor, reactions, replyInThread, requestsOf, scriptByPrompt, shown, startTask, userText, versions, waitEvent, waitShows, waitStatus } from '../helpers/thread.js';

/*
 * Questions to the thread, end to end: the model calls ask_people, the card waits for an
 * answer, the thread shows the question with a button per choice; the first answer from
 * someone who may steer (a click or a reply) is the tool's output; strangers are refused; with
 * no answer in time the model is told so and goes on.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, otherChannel, owner, other } = FAKE_IDS;

/** The `n`-th question of a thread (0 first), once its link is stored (a click needs it). */
async function waitQuestion(e: E2E, ch: string, threadTs: string, n = 0): Promise<FakeMessage> {
  const q = await e.fake.waitFor(() => e.fake.thread(ch, threadTs).filter((m) => m.metadata?.event_type === 'codex_task_question')[n], 20_000);
  const qid = (await e.store.readEvents(q.metadata!.event_payload.task_id as string)).filter((ev) => ev.type === 'question_asked')[n];
  await e.fake.waitFor(async () => qid?.type === 'question_asked' && (await e.redis.exists(`${e.prefix}:question:${qid.questionId}`)) === 1, 15_000);
  return q;
}

const answered = (text: string) => (req: Parameters<typeof lastToolOutput>[0]) => {
  if (!lastToolOutput(req).includes(text)) throw new Error(`the answer did not reach the model: ${lastToolOutput(req)}`);
  return reply(message('Done, as answered.'));
};

describe('questions to the thread', () => {
  it('asks with buttons or in words; the first answer by a button or a reply goes to the model; strangers are refused; no answer in time goes on', { timeout: 90_000 }, async () => {
    e = await startE2E({
      repo: { approval: { mode: 'never', timeoutMinutes: 1 } },
      repoConfig: { channels: { [otherChannel]: { approval: { timeoutMinutes: 0.05 } } } },
      script: scriptByPrompt({
        'pick a name': (req, n) => (n === 0 ? reply(functionCall('ask_people', { question: 'Should the function be called sum or plus?', choices: ['sum', 'plus'] })) : answered(`<@${owner}> answered:\nplus`)(req)),
        'ask in words': (req, n) => (n === 0 ? reply(functionCall('ask_people', { question: 'What should the new file be called?' })) : answered(`<@${owner}> answered:\ncall it total.txt`)(req)),
        'nobody answers': (req, n) => (n === 0 ? reply(functionCall('ask_people', { question: 'Tabs or spaces?', choices: ['tabs', 'spaces'] })) : answered('No answer: nobody answered within 3 seconds. Go on with your best judgment')(req)),
      }),
    });
    const a = await startTask(e, 'pick a name');
    const b = await startTask(e, 'ask in words');
    const c = await startTask(e, 'nobody answers', { channel_id: otherChannel });

    // A: the question with one button per choice; the card waits for an answer.
    const qa = await waitQuestion(e, channel, a.card.ts);
    expect(shown(qa)).toContain('Should the function be called sum or plus?');
    expect(JSON.parse(buttonValue(qa, 'codex_answer_0'))).toMatchObject({ t: a.taskId, c: 0 });
    expect(JSON.parse(buttonValue(qa, 'codex_answer_1'))).toMatchObject({ t: a.taskId, c: 1 });
    await waitShows(e, channel, a.card.ts, 'Waiting for your answer', 15_000);

    // A stranger's click is refused and changes nothing.
    await click(e, qa, 'codex_answer_0', other);
    const refusal = await e.fake.waitFor(() => ephemeralsFor(e!, other)[0], 15_000);
    expect(refusal).toMatch(/answer questions of/);
    expect((await e.store.readOps(a.taskId, '0')).filter((o) => o.op.type === 'answer')).toEqual([]);

    // The owner's click answers; the question shows who answered what; a second click is closed.
    await click(e, qa, 'codex_answer_1', owner);
    const answerA = await waitEvent(e, a.taskId, 'question_answered');
    expect(answerA).toMatchObject({ answer: 'plus', by: owner, timedOut: false });
    await e.fake.waitFor(() => current(e!, channel, qa.ts).includes('answered at'), 10_000);
    expect(current(e, channel, qa.ts)).toContain(`<@${owner}> answered`);
    expect(current(e, channel, qa.ts)).not.toContain('codex_answer_');
    await click(e, qa, 'codex_answer_0', owner);
    await e.fake.waitFor(() => ephemeralsFor(e!, owner).find((t) => t.includes('already answered')), 15_000);
    await waitStatus(e, a.taskId, 'done', 30_000);
    expect(lastToolOutput(requestsOf(e, 'pick a name')[1]!)).toBe(`<@${owner}> answered:\nplus`);
    expect((await e.store.readOps(a.taskId, '0')).filter((o) => o.op.type === 'answer')).toHaveLength(1);

    // B: a free-text question (no buttons), answered by a reply in the thread.
    const qb = await waitQuestion(e, channel, b.card.ts);
    expect(shown(qb)).toContain('What should the new file be called?');
    expect(shown(qb)).not.toContain('codex_answer_');
    await waitShows(e, channel, b.card.ts, 'Waiting for your answer', 15_000);
    const words = await replyInThread(e, b.card.ts, owner, 'call it total.txt');
    await e.fake.waitFor(() => reactions(e!, channel, words.ts).includes('white_check_mark'), 15_000);
    expect(await waitEvent(e, b.taskId, 'question_answered')).toMatchObject({ answer: 'call it total.txt', by: owner });
    await waitStatus(e, b.taskId, 'done', 30_000);
    const nextB = requestsOf(e, 'ask in words')[1]!;
    // The reply is the tool's output, not steering besides it.
    expect(lastToolOutput(nextB)).toBe(`<@${owner}> answered:\ncall it total.txt`);
    expect(userText(nextB)).not.toContain('call it total.txt');
    await e.fake.waitFor(() => current(e!, channel, qb.ts).includes('call it total.txt'), 10_000);

    // C: nobody answers within the channel's 3 seconds; the model is told and goes on.
    const qc = await waitQuestion(e, otherChannel, c.card.ts);
    expect(await waitEvent(e, c.taskId, 'question_answered')).toMatchObject({ timedOut: true });
    await waitStatus(e, c.taskId, 'done', 30_000);
    await e.fake.waitFor(() => current(e!, otherChannel, qc.ts).includes('No answer by'), 10_000);
    const before = versions(e, otherChannel, qc.ts).length;
    await click(e, qc, 'codex_answer_0', owner);
    await e.fake.waitFor(() => ephemeralsFor(e!, owner).filter((t) => t.includes('already answered')).length === 2, 15_000);
    expect(versions(e, otherChannel, qc.ts)).toHaveLength(before);
    expect((await e.store.readOps(c.taskId, '0')).filter((o) => o.op.type === 'answer')).toEqual([]);
  });
});
