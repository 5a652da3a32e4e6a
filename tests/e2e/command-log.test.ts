import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply, type RecordedRequest, type ScriptReply } from '../fakes/model-server.js';
import { FAKE_IDS, FIX_PATCH, startE2E, type E2E } from '../helpers/e2e.js';
import { ackMessage, sendCommand, visibleText } from '../helpers/slack-checks.js';
import { click, replyInThread, scriptByPrompt, startTask, waitApprovalPrompt, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * `/codex log <task id>`: the action log, built from the task's events: each command with its
 * exit code and duration, each approval with who decided, each steer, stop, cancel and push, in
 * order; only for those who may see the task; ephemeral when short, else a file in the task's
 * thread with an ephemeral pointer.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

/** Resolves once the test says so (a model step waits for it). */
function gate(): { open: () => void; wait: Promise<void> } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

describe('/codex log', () => {
  it('lists commands with exit codes and durations, the approval and who decided, the steer and the push, in order', { timeout: 150_000 }, async () => {
    const steered = gate();
    e = await startE2E({
      script: scriptByPrompt({
        'fix add with a log': async (_req: RecordedRequest, n: number): Promise<ScriptReply> => {
          if (n === 0) return reply(functionCall('shell', { command: 'echo looking' }));
          if (n === 1) {
            await steered.wait;
            return reply(functionCall('shell', { command: 'touch approved.txt' }));
          }
          if (n === 2) return reply(functionCall('apply_patch', { input: FIX_PATCH }));
          if (n === 3) return reply(functionCall('shell', { command: 'exit 3' }));
          return reply(message('Fixed add.'));
        },
      }),
      repo: { pushBranches: true, approval: { mode: 'never', commandPatterns: ['^touch '], push: false } },
    });
    const { taskId, card } = await startTask(e, 'fix add with a log');
    await waitEvent(e, taskId, 'command_finished');
    await replyInThread(e, card.ts, FAKE_IDS.owner, 'also keep the tests green');
    await waitEvent(e, taskId, 'steering_received');
    steered.open();
    const prompt = await waitApprovalPrompt(e, FAKE_IDS.channel, card.ts, 0);
    await click(e, prompt, 'codex_approve', FAKE_IDS.owner);
    await waitEvent(e, taskId, 'branch_pushed');
    await waitStatus(e, taskId, 'done');

    const ack = ackMessage(await sendCommand(e, `log ${taskId}`));
    expect(ack.response_type).toBe('ephemeral');
    const log = visibleText(ack);
    const order = [
      'Task created by',
      '`echo looking` → exit 0 in ',
      `Steered by <@${FAKE_IDS.owner}>: “also keep the tests green”`,
      'Approval asked (command) `touch approved.txt`',
      `approved by <@${FAKE_IDS.owner}>`,
      '`touch approved.txt` → exit 0 in ',
      '`exit 3` → exit 3 in ',
      'Pushed `codex/',
      'Turn ended: done',
    ];
    const at = order.map((s) => log.indexOf(s));
    expect(at.filter((i) => i < 0).map((_, k) => order[k])).toEqual([]);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(log).toMatch(/<!date\^\d+\^\{time_secs\}\|/);
    expect(log).not.toContain('Fixed add.'); // narration is not an action

    // Someone who may not see the task is told it does not exist; in its channel anyone may.
    const stranger = ackMessage(await sendCommand(e, `log ${taskId}`, { user_id: FAKE_IDS.other, channel_id: FAKE_IDS.otherChannel }));
    expect(stranger.text).toContain(`There is no task \`${taskId}\``);
    expect(visibleText(ackMessage(await sendCommand(e, `log ${taskId}`, { user_id: FAKE_IDS.other })))).toContain('Task created by');
  });

  it('a long log goes into the thread as a file, with stops and the cancel, and an ephemeral pointer', { timeout: 150_000 }, async () => {
    const echoes = Array.from({ length: 30 }, (_, i) => functionCall('shell', { command: `echo step-${i}` }));
    e = await startE2E({
      script: scriptByPrompt({ 'a long task': (_req, n) => (n === 0 ? reply(...echoes) : { hang: true }) }),
    });
    const { taskId, card } = await startTask(e, 'a long task');
    await e.fake.waitFor(async () => (await e!.store.readEvents(taskId)).filter((ev) => ev.type === 'command_finished').length === 30, 60_000);
    await e.model.waitForRequests(2);
    await click(e, card, 'codex_stop', FAKE_IDS.owner);
    await waitEvent(e, taskId, 'task_interrupted');
    expect(ackMessage(await sendCommand(e, `cancel ${taskId}`)).text).toContain('Cancelling');
    await waitStatus(e, taskId, 'cancelled');

    const ack = ackMessage(await sendCommand(e, `log ${taskId}`));
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toContain('uploading it as a file into the task');
    const file = await e.fake.waitFor(() => e!.fake.files.find((f) => f.filename === `codex-${taskId}-log.txt` && f.completed), 20_000);
    const text = file.bytes!.toString('utf8');
    for (let i = 0; i < 30; i++) expect(text).toContain(`$ echo step-${i}  → exit 0 in `);
    expect(text.indexOf('$ echo step-29')).toBeLessThan(text.indexOf(`stopped by ${FAKE_IDS.owner}`));
    expect(text.indexOf(`stopped by ${FAKE_IDS.owner}`)).toBeLessThan(text.indexOf(`cancelled by ${FAKE_IDS.owner}`));
    expect(file).toMatchObject({ channelId: FAKE_IDS.channel, threadTs: card.ts });
  });
});
