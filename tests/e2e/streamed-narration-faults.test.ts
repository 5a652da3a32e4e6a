import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, httpError, message, reply } from '../fakes/model-server.js';
import type { FakeMessage } from '../fakes/slack-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { current, replyInThread, startTask, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * Streamed narration where it gets hard: the plan in Slack's plan display, a turn that fails
 * while it streams, a person stopping a stream with Slack's own Stop, and a task in the app's
 * DM (no recipient there).
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, owner } = FAKE_IDS;
const STREAMING = { slack: { streaming: 'auto' } };
const kindOf = (m: FakeMessage) => m.metadata?.event_type.replace('codex_task_', '');
const shownText = (m: FakeMessage) => m.text + JSON.stringify(m.blocks ?? []);

describe('streamed narration: plans, failures, a person’s Stop, DMs', () => {
  it('streams the plan in plan display and commands in timeline display', { timeout: 90_000 }, async () => {
    e = await startE2E({
      repoConfig: STREAMING,
      script: [
        reply(message('Planning.'), functionCall('update_plan', { plan: [{ step: 'Read the code', status: 'in_progress' }, { step: 'Fix add', status: 'pending' }] })),
        reply(functionCall('shell', { command: 'echo read' })),
        reply(message('Done.')),
      ],
    });
    const { taskId, card } = await startTask(e, 'plan then work');
    await waitStatus(e, taskId, 'done', 60_000);
    const streams = await e.fake.waitFor(() => {
      const s = e!.fake.streams(channel, card.ts);
      return s.length > 0 && s.every((x) => x.stopped) && s;
    }, 10_000);
    const planStreams = streams.filter((s) => s.chunks.some((c) => c.type === 'plan_update'));
    expect(planStreams.length).toBeGreaterThanOrEqual(1);
    for (const s of planStreams) expect(s.displayMode).toBe('plan');
    const commandStreams = streams.filter((s) => s.chunks.some((c) => c.type === 'task_update' && String(c.title).startsWith('echo ')));
    expect(commandStreams.length).toBeGreaterThanOrEqual(1);
    for (const s of commandStreams) expect(s.displayMode).toBe('timeline');
  });

  it('stops the stream when the turn fails mid-way: final card, the failure once, nothing streamed posted again', { timeout: 90_000 }, async () => {
    e = await startE2E({
      repoConfig: STREAMING,
      script: [reply(message('Starting.'), functionCall('shell', { command: 'echo one' })), httpError(400, 'The request was refused.')],
    });
    const { taskId, card } = await startTask(e, 'fail halfway');
    await waitStatus(e, taskId, 'failed', 60_000);
    const thread = await e.fake.waitFor(() => {
      const t = e!.fake.thread(channel, card.ts);
      return t.some((m) => kindOf(m) === 'failure') && t;
    }, 20_000);
    expect(thread.filter((m) => kindOf(m) === 'failure')).toHaveLength(1);
    const streams = e.fake.streams(channel, card.ts);
    expect(streams.length).toBeGreaterThanOrEqual(1);
    for (const s of streams) expect(s).toMatchObject({ stopped: true, expired: false });
    // Every stream ended before the failure was posted.
    const failure = thread.find((m) => kindOf(m) === 'failure')!;
    for (const s of streams) expect(Number(s.ts)).toBeLessThan(Number(failure.ts));
    const updates = streams.flatMap((s) => s.chunks).filter((c) => c.type === 'task_update' && c.title === 'echo one');
    expect(updates.map((c) => c.status)).toEqual(['in_progress', 'complete']);
    // Streamed, so not posted again as a command log or narration.
    expect(thread.filter((m) => kindOf(m) === 'commands' && shownText(m).includes('echo one'))).toEqual([]);
    expect(thread.filter((m) => kindOf(m) === 'narration')).toEqual([]);
    await e.fake.waitFor(() => /fail/i.test(current(e!, channel, card.ts)), 10_000);
    expect(e.fake.calls.filter((c) => c.response.error === 'message_not_in_streaming_state')).toEqual([]);
  });

  it("never touches a stream again once a person stopped it with Slack's Stop", { timeout: 120_000 }, async () => {
    e = await startE2E({
      repoConfig: STREAMING,
      script: [
        reply(message('Waiting.'), functionCall('shell', { command: 'sleep 30' })),
        // After the Stop, the turn waits for a reply; "carry on" goes on from here.
        reply(functionCall('shell', { command: 'echo again' })),
        reply(message('Carried on.')),
      ],
    });
    const { taskId, card } = await startTask(e, 'wait then stop');
    await waitEvent(e, taskId, 'command_started');
    const stream = await e.fake.waitFor(() => e!.fake.streams(channel, card.ts).find((s) => s.chunks.some((c) => c.type === 'task_update' && c.title === 'sleep 30')), 20_000);
    e.fake.stopStreamAsPerson(channel, stream.ts);
    const stoppedAt = Date.now();
    await e.sender.event({ type: 'agent_session_stopped', channel, thread_ts: card.ts, user: owner, streaming_message_ts: [stream.ts] });
    await waitEvent(e, taskId, 'task_interrupted');
    await replyInThread(e, card.ts, owner, 'carry on');
    await waitStatus(e, taskId, 'done', 60_000);
    await e.fake.waitFor(() => e!.fake.thread(channel, card.ts).filter((m) => kindOf(m) === 'summary').length >= 1, 20_000);
    // Nothing was sent to the stopped stream after the person stopped it; the next turn streamed elsewhere.
    const touched = e.fake.calls.filter((c) => (c.method === 'chat.appendStream' || c.method === 'chat.stopStream') && c.args.ts === stream.ts && c.at >= stoppedAt);
    expect(touched).toEqual([]);
    const later = e.fake.streams(channel, card.ts).filter((s) => s.ts !== stream.ts);
    expect(later.flatMap((s) => s.chunks).some((c) => c.type === 'task_update' && c.title === 'echo again' && c.status === 'complete')).toBe(true);
  });

  it('streams in the app’s DM without naming a recipient', { timeout: 90_000 }, async () => {
    e = await startE2E({ repoConfig: STREAMING, script: [reply(message('In a DM.'), functionCall('shell', { command: 'echo dm' })), reply(message('Done.'))] });
    const dm = 'D0FAKEDM01';
    e.fake.addChannel({ id: dm, name: 'codex-dm', isIm: true, user: owner });
    const { taskId, card } = await startTask(e, 'work in a dm', { channel_id: dm });
    await waitStatus(e, taskId, 'done', 60_000);
    const streams = await e.fake.waitFor(() => {
      const s = e!.fake.streams(dm, card.ts);
      return s.length > 0 && s.every((x) => x.stopped) && s;
    }, 10_000);
    for (const s of streams) expect(s.recipient).toBeUndefined();
    for (const c of e.fake.callsTo('chat.startStream')) expect(c.args).not.toHaveProperty('recipient_user_id');
    expect(streams.flatMap((s) => s.chunks)).toContainEqual(expect.objectContaining({ type: 'task_update', title: 'echo dm', status: 'complete' }));
  });
});
