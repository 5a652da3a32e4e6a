import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { click, ephemeralsFor, replyInThread, startTask, waitApprovalPrompt, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * Slack's agent sessions: a task's thread is `processing` while a turn works and `active` while
 * it waits for a person or has ended; Slack's native Stop interrupts like the Stop button, with
 * the same rule on who may; a workspace without agent sessions changes nothing else.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, owner, other } = FAKE_IDS;

describe('agent sessions', () => {
  it('is processing while a turn works, active while it waits for approval and once it ends', { timeout: 90_000 }, async () => {
    e = await startE2E({
      repo: { approval: { mode: 'never', commandPatterns: ['^touch '], timeoutMinutes: 5 } },
      script: [reply(functionCall('shell', { command: 'touch x' })), reply(message('Done.'))],
    });
    const { taskId, card } = await startTask(e, 'make x');
    const prompt = await waitApprovalPrompt(e, channel, card.ts, 0, 60_000);
    await e.fake.waitFor(() => e!.fake.session(channel, card.ts)?.status === 'active', 10_000);
    await click(e, prompt, 'codex_approve', owner);
    await waitStatus(e, taskId, 'done', 60_000);
    await e.fake.waitFor(() => e!.fake.session(channel, card.ts)?.history.at(-1) === 'active', 10_000);
    const session = e.fake.session(channel, card.ts)!;
    expect(session.history).toEqual(['processing', 'active', 'processing', 'active']);
    expect(session.title).toBe('make x');
  });

  it("takes Slack's native Stop from the owner, not from a stranger", { timeout: 90_000 }, async () => {
    e = await startE2E({
      script: [
        reply(functionCall('shell', { command: 'sleep 30' })),
        (req) => reply(message(`Stopped: ${lastToolOutput(req).slice(0, 40)}`)),
        reply(message('Carried on.')),
      ],
    });
    const { taskId, card } = await startTask(e, 'wait a while');
    await waitEvent(e, taskId, 'command_started');
    await e.fake.waitFor(() => e!.fake.session(channel, card.ts)?.status === 'processing', 10_000);
    const stop = (user: string) => e!.sender.event({ type: 'agent_session_stopped', channel, thread_ts: card.ts, user, streaming_message_ts: [] });
    await stop(other);
    await e.fake.waitFor(() => ephemeralsFor(e!, other).find((t) => t.includes('stop')), 15_000);
    expect((await e.store.readOps(taskId, '0')).filter((o) => o.op.type === 'interrupt')).toEqual([]);
    await stop(owner);
    await waitEvent(e, taskId, 'task_interrupted');
    await e.fake.waitFor(() => e!.fake.session(channel, card.ts)?.status === 'active', 10_000);
    await replyInThread(e, card.ts, owner, 'carry on');
    await waitStatus(e, taskId, 'done', 60_000);
  });

  it("renames the session when the task's title changes (a follow-up's prompt), once", { timeout: 90_000 }, async () => {
    e = await startE2E({ script: [reply(message('First done.')), reply(message('Second done.'))] });
    const { taskId, card } = await startTask(e, 'first title');
    await waitStatus(e, taskId, 'done', 30_000);
    await replyInThread(e, card.ts, owner, 'second title');
    await e.fake.waitFor(async () => (await e!.store.getTask(taskId))?.turn === 2 && (await e!.store.getTask(taskId))?.status === 'done', 60_000);
    await e.fake.waitFor(() => e!.fake.session(channel, card.ts)?.title === 'second title', 10_000);
    expect(e.fake.session(channel, card.ts)?.titles).toEqual(['first title', 'second title']);
    expect(e.fake.callsTo('agents.sessions.rename').map((c) => c.args)).toEqual([{ channel_id: channel, thread_ts: card.ts, title: 'second title' }]);
  });

  it('works as before in a workspace without agent sessions', { timeout: 60_000 }, async () => {
    e = await startE2E({ script: [reply(message('Done.'))] });
    e.fake.disableAgentSessions();
    const { taskId, card } = await startTask(e, 'plain task');
    await waitStatus(e, taskId, 'done', 30_000);
    await e.fake.waitFor(() => e!.fake.thread(channel, card.ts).some((m) => m.metadata?.event_type === 'codex_task_summary'), 10_000);
    expect(e.fake.session(channel, card.ts)).toBeUndefined();
  });
});
