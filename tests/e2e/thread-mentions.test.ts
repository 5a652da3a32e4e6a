import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply, userMessages } from '../fakes/model-server.js';
import { appMentionEvent, messageEvent } from '../fakes/slack-signing.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { reactions, requestsOf, scriptByPrompt, userText, waitEvent, waitShows } from '../helpers/thread.js';

/*
 * Mentions end to end: mentioning the bot starts a task with the message as its prompt and, in
 * a thread, the thread's earlier messages (capped) as context. A mention inside a task's
 * thread belongs to that task: steering while it runs, a follow-up once it has ended.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, otherChannel, owner, other, approver, botUser } = FAKE_IDS;

/** A message mentioning the bot, as Slack delivers it: both a `message` and an `app_mention` event. */
async function mention(e: E2E, ch: string, text: string, threadTs?: string) {
  const m = e.fake.injectMessage({ channel: ch, user: owner, text: `<@${botUser}> ${text}`, ...(threadTs ? { thread_ts: threadTs } : {}) });
  await Promise.all([e.sender.event(appMentionEvent(m)), e.sender.event(messageEvent(m))]);
  return m;
}

const cardsIn = (e: E2E, ch: string, threadTs: string) => e.fake.thread(ch, threadTs).filter((m) => m.metadata?.event_type === 'codex_task_status');

describe('mentions', () => {
  it('works in a group DM (the manifest subscribes to message.mpim and asks for mpim:history)', { timeout: 90_000 }, async () => {
    e = await startE2E({ script: scriptByPrompt({ 'rename the helper': () => reply(message('Renamed.')) }) });
    const mpim = 'G0FAKEMPIM1';
    e.fake.addChannel({ id: mpim, name: 'mpdm-alice--bob--codex-1', isPrivate: true });
    const root = e.fake.injectMessage({ channel: mpim, user: other, text: 'the helper name is confusing' });
    const m = e.fake.injectMessage({ channel: mpim, user: owner, text: `<@${botUser}> rename the helper`, thread_ts: root.ts });
    await Promise.all([e.sender.event(appMentionEvent(m)), e.sender.event({ ...messageEvent(m), channel_type: 'mpim' })]);
    const card = await e.fake.waitFor(() => cardsIn(e!, mpim, root.ts)[0], 10_000);
    await waitShows(e, mpim, card.ts, 'Done', 40_000);
    // The group DM's thread was read as context (conversations.replies there needs mpim:history).
    expect(userMessages(requestsOf(e, 'rename the helper')[0]!)[0]).toContain('the helper name is confusing');
  });

  it('starts a task from a mention in a thread with the earlier messages as context; a later mention there is a follow-up', { timeout: 90_000 }, async () => {
    e = await startE2E({
      repoConfig: { slack: { threadContextChars: 200 } },
      script: scriptByPrompt({
        'fix the flaky date test': (_req, n) => reply(message(n === 0 ? 'Pinned the clock in the test.' : 'Added the comment.')),
        'tidy the README': (_req, n) => (n === 0 ? reply(functionCall('shell', { command: 'sleep 3' })) : reply(message('Tidied.'))),
      }),
    });

    // A thread of ordinary messages, the oldest long enough to be cut by the 200-character cap.
    const root = e.fake.injectMessage({ channel, user: other, text: `OLDEST ${'x'.repeat(300)}` });
    e.fake.injectMessage({ channel, user: other, text: 'The date test fails around midnight UTC', thread_ts: root.ts });
    e.fake.injectMessage({ channel, user: approver, text: 'Only in CI, never locally', thread_ts: root.ts });
    await mention(e, channel, 'please fix the flaky date test', root.ts);

    const card = await e.fake.waitFor(() => cardsIn(e!, channel, root.ts)[0], 10_000);
    expect(card.thread_ts).toBe(root.ts);
    const taskId = card.metadata!.event_payload.task_id as string;
    await e.fake.waitFor(async () => (await e!.store.taskForThread(channel, root.ts)) === taskId, 15_000);
    await waitShows(e, channel, card.ts, 'Done', 40_000);

    // The first request: the mention (without the bot's name) as the task, the thread before it as context.
    const [first] = requestsOf(e, 'fix the flaky date test');
    const said = userMessages(first!)[0]!;
    expect(said).toContain(`Task from <@${owner}>:\nplease fix the flaky date test`);
    expect(said).not.toContain(`<@${botUser}>`);
    expect(said).toContain('Earlier messages in the Slack thread, for context:');
    expect(said).toContain(`<@${other}>: The date test fails around midnight UTC`);
    expect(said).toContain(`<@${approver}>: Only in CI, never locally`);
    expect(said).toContain('[… earlier messages cut]');
    expect(said).not.toContain('OLDEST');
    expect(said.split('please fix the flaky date test').length - 1).toBe(1);
    const task = (await e.store.getTask(taskId))!;
    expect(task.prompt).toBe('please fix the flaky date test');
    expect(task.owner).toBe(owner);

    // A mention in the thread after the end: turn 2 of the same task, not a new task.
    const again = await mention(e, channel, 'also add a comment on why', root.ts);
    await e.fake.waitFor(() => reactions(e!, channel, again.ts).includes('eyes'), 15_000);
    await e.fake.waitFor(async () => {
      const t = await e!.store.getTask(taskId);
      return t?.turn === 2 && t.status === 'done';
    }, 40_000);
    const followUp = requestsOf(e, 'fix the flaky date test')[1]!;
    expect(userText(followUp)).toContain(`Follow-up from <@${owner}>:\nalso add a comment on why`);
    expect(userText(followUp)).toContain('please fix the flaky date test');
    expect(cardsIn(e, channel, root.ts)).toHaveLength(1);
    expect(await e.store.tasksOf(owner)).toHaveLength(1);

    // A mention at the top of a channel: a task whose thread is the mention's; a mention in that
    // thread while it runs steers it.
    const top = await mention(e, otherChannel, 'tidy the README');
    const topCard = await e.fake.waitFor(() => cardsIn(e!, otherChannel, top.ts)[0], 10_000);
    const topTask = topCard.metadata!.event_payload.task_id as string;
    await waitEvent(e, topTask, 'command_started');
    const steer = await mention(e, otherChannel, 'keep the badges', top.ts);
    await e.fake.waitFor(() => reactions(e!, otherChannel, steer.ts).includes('white_check_mark'), 20_000);
    // ✅ comes with steering_applied, which the agent emits just before it sends the next request.
    await e.fake.waitFor(() => requestsOf(e!, 'tidy the README').length >= 2, 10_000);
    const [topFirst, topNext] = requestsOf(e, 'tidy the README');
    expect(userText(topFirst!)).not.toContain('Earlier messages');
    expect(userText(topNext!)).toContain(`[Steering from <@${owner}> while you were working]\nkeep the badges`);
    expect(await e.store.tasksOf(owner)).toHaveLength(2);
    await waitShows(e, otherChannel, topCard.ts, 'Done', 20_000);
  });
});
