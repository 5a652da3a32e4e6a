import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply } from '../fakes/model-server.js';
import { containersOf, FAKE_IDS, slash, startE2E, type E2E } from '../helpers/e2e.js';
import { click, current, ephemeralsFor, reactions, replyInThread, requestsOf, scriptByPrompt, startTask, userText, waitEvent, waitShows, waitStatus } from '../helpers/thread.js';

/*
 * Stop and Cancel end to end. Stop kills the running command and waits for a reply saying
 * what to do instead; Cancel (the card's button, or `/codex cancel <id>`) ends the task,
 * keeps the branch with what was done and removes the sandbox.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, owner, other } = FAKE_IDS;
const LONG = { command: 'sleep 60', timeout_ms: 110_000 };

describe('stop and cancel', () => {
  it('Stop kills the command and waits for a reply; Cancel (button, or /codex cancel while stopped) ends the task, keeps the branch, removes the sandbox', { timeout: 90_000 }, async () => {
    e = await startE2E({
      script: scriptByPrompt({
        'stop me': (req, n) => {
          if (n === 0) return reply(functionCall('shell', LONG));
          if (n === 1) {
            if (!lastToolOutput(req).includes('Interrupted by the user; the command was killed.')) throw new Error(`not told about the interrupt: ${lastToolOutput(req)}`);
            return reply(functionCall('shell', { command: 'echo partial > progress.txt && sleep 60', timeout_ms: 110_000 }));
          }
          if (n === 2 && userText(req).includes('Follow-up from') && userText(req).includes('pick it up again')) return reply(message('Picked it up again.'));
          throw new Error('the cancelled task asked the model again');
        },
        'stop my thinking': (_req, n) => (n === 0 ? { hang: true } : reply(message('Answered after the stop.'))),
        'cancel me by command': (_req, n) => (n === 0 ? reply(functionCall('shell', { command: 'echo begun > begun.txt && sleep 60', timeout_ms: 110_000 })) : reply(message('should not get here'))),
      }),
    });
    const a = await startTask(e, 'stop me');
    const b = await startTask(e, 'cancel me by command');
    const c = await startTask(e, 'stop my thinking');
    await waitEvent(e, a.taskId, 'command_started');

    // Someone else may not stop it.
    await click(e, a.card, 'codex_stop', other);
    expect(await e.fake.waitFor(() => ephemeralsFor(e!, other)[0], 15_000)).toMatch(/can stop it/);

    // Stop: the 60 s command ends within seconds; the task waits, and says so.
    const stoppedAt = Date.now();
    await click(e, a.card, 'codex_stop', owner);
    const killed = await waitEvent(e, a.taskId, 'command_finished', undefined, 20_000);
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    expect(killed.durationMs).toBeLessThan(20_000);
    expect(killed.exitCode).not.toBe(0);
    await waitEvent(e, a.taskId, 'task_interrupted');
    await waitShows(e, channel, a.card.ts, 'Interrupted');
    expect(current(e, channel, a.card.ts)).toContain('Reply in this thread');
    const notice = await e.fake.waitFor(() => e!.fake.thread(channel, a.card.ts).find((m) => m.metadata?.event_type === 'codex_task_interrupted'), 10_000);
    expect(notice.text).toMatch(/stop/i);
    expect((await e.store.getTask(a.taskId))!.status).not.toMatch(/done|failed|cancelled/);
    expect(requestsOf(e, 'stop me')).toHaveLength(1); // waiting, not asking the model

    // A reply says what to do instead; it reaches the model as words after the interrupt.
    const instead = await replyInThread(e, a.card.ts, owner, 'do it in small steps instead');
    const next = await e.fake.waitFor(() => requestsOf(e!, 'stop me')[1], 20_000);
    expect(userText(next)).toContain(`[<@${owner}> interrupted you and says]\ndo it in small steps instead`);
    await e.fake.waitFor(() => reactions(e!, channel, instead.ts).includes('white_check_mark'), 10_000);
    await waitEvent(e, a.taskId, 'command_started', (ev) => ev.command.startsWith('echo partial'));
    await waitShows(e, channel, a.card.ts, 'Working');

    // Cancel with the card's button: the task ends, the branch keeps what was done, no container is left.
    await click(e, a.card, 'codex_cancel', owner);
    const cancelledA = await waitStatus(e, a.taskId, 'cancelled', 30_000);
    expect((await waitEvent(e, a.taskId, 'task_cancelled')).by).toBe(owner);
    expect(e.mirrorGit('rev-parse', '--verify', cancelledA.branch)).toMatch(/^[0-9a-f]{40}$/);
    expect(e.mirrorGit('show', `${cancelledA.branch}:progress.txt`)).toBe('partial');
    expect(await containersOf(a.taskId)).toEqual([]);
    await waitShows(e, channel, a.card.ts, 'Cancelled');
    await e.fake.waitFor(() => e!.fake.thread(channel, a.card.ts).find((m) => m.metadata?.event_type === 'codex_task_cancelled'), 10_000);
    expect(current(e, channel, a.card.ts)).not.toContain('codex_stop');

    // Stop during a model request that never answers: the request is dropped, the task waits,
    // and a reply is what the model gets next.
    await e.fake.waitFor(() => requestsOf(e!, 'stop my thinking')[0], 20_000);
    await click(e, c.card, 'codex_stop', owner);
    await waitEvent(e, c.taskId, 'task_interrupted', undefined, 10_000);
    await replyInThread(e, c.card.ts, owner, 'never mind, just answer');
    await waitStatus(e, c.taskId, 'done', 20_000);
    const [, answered] = requestsOf(e, 'stop my thinking');
    expect(userText(answered!)).toContain(`[<@${owner}> interrupted you and says]\nnever mind, just answer`);

    // A stale Stop button (a copy of the card from before the end) changes nothing.
    await click(e, a.card, 'codex_stop', owner);
    expect(await e.fake.waitFor(() => ephemeralsFor(e!, owner).find((t) => t.includes('has already ended')), 15_000)).toContain('Reply in its thread');

    // `/codex cancel <id>` from the channel, here while the task waits after a Stop: refused for
    // someone else, done for the owner.
    await waitEvent(e, b.taskId, 'command_started');
    await click(e, b.card, 'codex_stop', owner);
    await waitEvent(e, b.taskId, 'task_interrupted');
    const refused = await slash(e, `cancel ${b.taskId}`, { user_id: other });
    expect(refused.body).toMatch(/can cancel it/);
    const cancelling = await slash(e, `cancel ${b.taskId}`);
    expect(cancelling.body).toContain(`Cancelling task \`${b.taskId}\``);
    const cancelledB = await waitStatus(e, b.taskId, 'cancelled', 30_000);
    expect(e.mirrorGit('show', `${cancelledB.branch}:begun.txt`)).toBe('begun');
    expect(await containersOf(b.taskId)).toEqual([]);
    expect(requestsOf(e, 'cancel me by command')).toHaveLength(1);
    await waitShows(e, channel, b.card.ts, 'Cancelled');

    // A reply after a cancel is a follow-up on the kept branch (once a worker slot is free).
    await replyInThread(e, a.card.ts, owner, 'pick it up again');
    await e.fake.waitFor(async () => {
      const t = await e!.store.getTask(a.taskId);
      return t?.turn === 2 && t.status === 'done';
    }, 30_000);
    expect(e.mirrorGit('show', `${cancelledA.branch}:progress.txt`)).toBe('partial');
  });
});
