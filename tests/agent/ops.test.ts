import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply, toolOutputs, userMessages, type RecordedRequest } from '../fakes/model-server.js';
import { CodexError } from '../../src/errors.js';
import { startHarness, type Harness } from './support/harness.js';

/* Steering, interrupt and cancel while the agent works, against a real sandbox. */

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

/** Polls until `sleep 60` runs in the sandbox (or stops running). */
async function waitForSleep(harness: Harness, running: boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const ps = await harness.sandbox.exec('ps -eo args');
    if (ps.stdout.split('\n').some((l) => l.trim() === 'sleep 60') === running) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sleep 60 ${running ? 'never started' : 'still running'}`);
}

describe('operations', () => {
  it('takes steering sent while a command runs into the very next model request', async () => {
    let next: RecordedRequest | undefined;
    h = await startHarness({
      script: [
        reply(functionCall('shell', { command: 'sleep 2; echo slept' }, 'call_sleep')),
        (req) => {
          next = req;
          return reply(message('Will use tabs.'));
        },
      ],
    });
    const running = h.run();
    await h.events.waitFor('command_started');
    const op = h.ops.send({ type: 'steer', text: 'Use tabs, not spaces.', by: 'USTEER1' });
    const received = await h.events.waitFor('steering_received');
    expect(h.events.of('command_finished')).toHaveLength(0); // acknowledged while the command still ran
    expect(received).toMatchObject({ opId: op.opId, text: 'Use tabs, not spaces.', by: 'USTEER1' });

    expect(await running).toEqual({ status: 'completed', summary: 'Will use tabs.' });
    expect(h.server.requests).toHaveLength(2);
    expect(userMessages(next!).at(-1)).toBe('[Steering from <@USTEER1> while you were working]\nUse tabs, not spaces.');
    const input = next!.body.input as Array<{ type?: string; role?: string }>;
    expect(input.at(-2)).toMatchObject({ type: 'function_call_output', call_id: 'call_sleep' });
    expect(toolOutputs(next!)[0]!.output).toContain('slept');

    const applied = h.events.of('steering_applied');
    expect(applied).toHaveLength(1);
    expect(applied[0]!.opIds).toEqual([op.opId]);
    const finished = h.events.of('command_finished')[0]!;
    expect(received.seq).toBeLessThan(finished.seq);
    expect(finished.seq).toBeLessThan(applied[0]!.seq);
  });

  it('steering that arrives during the final answer is taken before the run ends', async () => {
    h = await startHarness({ script: [{ ...reply(message('All done.')), delayMs: 1500 }, (req) => reply(message(`Adjusted for: ${userMessages(req).at(-1)}`))] });
    const running = h.run();
    await h.server.waitForRequests(1);
    h.ops.send({ type: 'steer', text: 'Also update the README.', by: 'UOWNER1' });
    await h.events.waitFor('steering_received');
    expect(await running).toEqual({ status: 'completed', summary: 'Adjusted for: [Steering from <@UOWNER1> while you were working]\nAlso update the README.' });
    expect(h.server.requests[1]!.body.input.at(-2)).toMatchObject({ role: 'assistant', type: 'message' });
  });

  it('interrupts a running command at once, waits, and continues with the next steer', async () => {
    let afterInterrupt: RecordedRequest | undefined;
    h = await startHarness({
      script: [
        reply(message('Running the slow suite.'), functionCall('shell', { command: 'sleep 60', timeout_ms: 120_000 }, 'call_slow')),
        (req) => {
          afterInterrupt = req;
          return reply(message('Skipped the slow suite.'));
        },
      ],
    });
    const running = h.run();
    await h.events.waitFor('command_started');
    await waitForSleep(h, true);

    const t0 = Date.now();
    h.ops.send({ type: 'interrupt', by: 'UOWNER1' });
    const interrupted = await h.events.waitFor('task_interrupted');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(interrupted.by).toBe('UOWNER1');
    expect(h.events.of('command_finished')[0]).toMatchObject({ command: 'sleep 60', timedOut: false });
    await waitForSleep(h, false);
    expect(h.server.requests).toHaveLength(1); // waiting, not calling the model

    const steer = h.ops.send({ type: 'steer', text: 'Skip the slow suite.', by: 'UOWNER1' });
    expect(await running).toEqual({ status: 'completed', summary: 'Skipped the slow suite.' });
    expect(toolOutputs(afterInterrupt!)).toEqual([{ call_id: 'call_slow', output: expect.stringMatching(/^Interrupted by user while this call ran\./) }]);
    expect(userMessages(afterInterrupt!).at(-1)).toBe('[<@UOWNER1> interrupted you and says]\nSkip the slow suite.');
    expect(h.events.of('steering_applied')[0]!.opIds).toEqual([steer.opId]);
  });

  it('interrupts a model request that is still streaming', async () => {
    h = await startHarness({ script: [{ hang: true }, (req) => reply(message(`Got: ${userMessages(req).at(-1)}`))] });
    const running = h.run();
    await h.server.waitForRequests(1);
    const t0 = Date.now();
    h.ops.send({ type: 'interrupt', by: 'UOWNER1' });
    await h.events.waitFor('task_interrupted');
    expect(Date.now() - t0).toBeLessThan(5000);
    h.ops.send({ type: 'steer', text: 'Only look at src/.', by: 'UOWNER1' });
    expect(await running).toEqual({ status: 'completed', summary: 'Got: [<@UOWNER1> interrupted you and says]\nOnly look at src/.' });
  });

  it('cancel ends the run at once with outcome cancelled and kills the command', async () => {
    h = await startHarness({ script: [reply(functionCall('shell', { command: 'sleep 60', timeout_ms: 120_000 }, 'call_slow'))] });
    const running = h.run();
    await h.events.waitFor('command_started');
    await waitForSleep(h, true);
    const t0 = Date.now();
    h.ops.send({ type: 'cancel', by: 'UOWNER1' });
    expect(await running).toEqual({ status: 'cancelled', by: 'UOWNER1' });
    expect(Date.now() - t0).toBeLessThan(5000);
    await waitForSleep(h, false);
    const saved = await h.store.load(h.task.taskId);
    expect(saved!.items.at(-1)).toMatchObject({ type: 'function_call_output', call_id: 'call_slow', output: expect.stringContaining('Cancelled by user') });
    expect(h.events.types()).not.toContain('task_interrupted');
  });

  it('cancel also ends a run that waits after an interrupt', async () => {
    h = await startHarness({ script: [{ hang: true }] });
    const running = h.run();
    await h.server.waitForRequests(1);
    h.ops.send({ type: 'interrupt', by: 'UOWNER1' });
    await h.events.waitFor('task_interrupted');
    h.ops.send({ type: 'cancel', by: 'UAPPROVER' });
    expect(await running).toEqual({ status: 'cancelled', by: 'UAPPROVER' });
  });

  it('a halt from the worker (AgentDeps.signal) ends the run as failed with its error and kills the command', async () => {
    h = await startHarness({ script: [reply(functionCall('shell', { command: 'sleep 60', timeout_ms: 120_000 }, 'call_slow'))] });
    const halt = new AbortController();
    const running = h.run({}, { signal: halt.signal });
    await h.events.waitFor('command_started');
    await waitForSleep(h, true);
    halt.abort(new CodexError('workspace_too_large', 'over', { userMessage: 'The checkout grew too large.' }));
    expect(await running).toEqual({ status: 'failed', code: 'workspace_too_large', message: 'The checkout grew too large.' });
    await waitForSleep(h, false);
    const saved = await h.store.load(h.task.taskId);
    expect(saved!.items.at(-1)).toMatchObject({ type: 'function_call_output', call_id: 'call_slow', output: expect.stringContaining('Stopped by the worker') });
    expect(h.server.requests).toHaveLength(1);
  });

  it('a halt also ends a run that waits after an interrupt', async () => {
    h = await startHarness({ script: [{ hang: true }] });
    const halt = new AbortController();
    const running = h.run({}, { signal: halt.signal });
    await h.server.waitForRequests(1);
    h.ops.send({ type: 'interrupt', by: 'UOWNER1' });
    await h.events.waitFor('task_interrupted');
    halt.abort(new CodexError('workspace_too_large', 'over', { userMessage: 'Too large.' }));
    expect(await running).toEqual({ status: 'failed', code: 'workspace_too_large', message: 'Too large.' });
  });
});
