import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply, type RecordedRequest } from '../fakes/model-server.js';
import { startHarness, type Harness } from './support/harness.js';

/* Approval policy: what asks, and what each decision does, against a real sandbox. */

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

/** A script step that records the tool output it saw and finishes. */
function finish(seen: string[]) {
  return (req: RecordedRequest) => {
    seen.push(lastToolOutput(req));
    return reply(message('Done.'));
  };
}

describe('approvals', () => {
  it('a command matching a pattern waits; accept runs it once', async () => {
    const seen: string[] = [];
    h = await startHarness({
      approval: { commandPatterns: ['^rm\\b'], timeoutMinutes: 5 },
      script: [reply(functionCall('shell', { command: 'rm -f AGENTS.md', justification: 'The file is obsolete.' })), finish(seen)],
    });
    const running = h.run();
    const asked = await h.events.waitFor('approval_requested');
    expect(asked).toMatchObject({ kind: 'command', command: 'rm -f AGENTS.md', reason: expect.stringContaining('The file is obsolete.') });
    expect(Date.parse(asked.expiresAt) - Date.parse(asked.at)).toBeGreaterThan(4 * 60_000);
    expect(h.events.of('command_started')).toHaveLength(0);
    expect(await h.sandbox.fileExists('AGENTS.md')).toBe(true);

    h.ops.send({ type: 'approval', approvalId: 'ap_unknown', decision: 'decline', by: 'UOWNER1' }); // ignored
    h.ops.send({ type: 'approval', approvalId: asked.approvalId, decision: 'accept', by: 'UOWNER1' });
    expect(await running).toMatchObject({ status: 'completed' });
    expect(await h.sandbox.fileExists('AGENTS.md')).toBe(false);
    expect(seen[0]).toMatch(/^Exit code: 0/);
    const resolved = h.events.of('approval_resolved');
    expect(resolved).toEqual([expect.objectContaining({ approvalId: asked.approvalId, decision: 'accept', by: 'UOWNER1', timedOut: false })]);
    expect(resolved[0]!.seq).toBeLessThan(h.events.of('command_started')[0]!.seq);
  });

  it('decline reaches the model as a denial and the run goes on', async () => {
    const seen: string[] = [];
    h = await startHarness({ approval: { commandPatterns: ['^rm\\b'] }, script: [reply(functionCall('shell', { command: 'rm -rf test' })), finish(seen)] });
    const running = h.run();
    const asked = await h.events.waitFor('approval_requested');
    h.ops.send({ type: 'approval', approvalId: asked.approvalId, decision: 'decline', by: 'UOWNER1' });
    expect(await running).toEqual({ status: 'completed', summary: 'Done.' });
    expect(seen[0]).toBe('The user <@UOWNER1> declined this command; it did not run. Do not retry this command or a variant of it; find another way, or explain in your summary why it is needed.');
    expect(await h.sandbox.fileExists('test/math.test.js')).toBe(true);
    expect(h.events.of('command_started')).toHaveLength(0);
    expect(h.events.of('approval_resolved')).toHaveLength(1);
  });

  it('no decision by expiresAt counts as decline and the model is told so', async () => {
    const seen: string[] = [];
    h = await startHarness({ approval: { commandPatterns: ['^rm\\b'], timeoutMinutes: 0.02 }, script: [reply(functionCall('shell', { command: 'rm -rf test' })), finish(seen)] });
    const outcome = await h.run();
    expect(outcome).toMatchObject({ status: 'completed' });
    expect(h.events.of('approval_resolved')).toEqual([expect.objectContaining({ decision: 'decline', timedOut: true })]);
    expect(h.events.of('approval_resolved')[0]!.by).toBeUndefined();
    expect(seen[0]).toMatch(/^No one approved this command within 1 second, so it counts as declined and did not run\. Do not retry/);
    expect(await h.sandbox.fileExists('test/math.test.js')).toBe(true);
  });

  it('accept_for_task runs it and skips later asks of the same pattern', async () => {
    h = await startHarness({
      approval: { commandPatterns: ['^echo\\b', '^touch\\b'] },
      script: [
        reply(functionCall('shell', { command: 'echo one' })),
        reply(functionCall('shell', { command: 'echo two' })),
        reply(functionCall('shell', { command: 'touch three' })),
        reply(message('Done.')),
      ],
    });
    const running = h.run();
    const first = await h.events.waitFor('approval_requested');
    h.ops.send({ type: 'approval', approvalId: first.approvalId, decision: 'accept_for_task', by: 'UOWNER1' });
    const second = await h.events.waitFor('approval_requested', (e) => e.approvalId !== first.approvalId);
    expect(second.command).toBe('touch three'); // another pattern still asks
    h.ops.send({ type: 'approval', approvalId: second.approvalId, decision: 'accept', by: 'UOWNER1' });
    expect(await running).toMatchObject({ status: 'completed' });
    expect(h.events.of('approval_requested')).toHaveLength(2);
    expect(h.events.of('command_finished').map((e) => [e.command, e.exitCode])).toEqual([
      ['echo one', 0],
      ['echo two', 0],
      ['touch three', 0],
    ]);
  });

  it('a command that needs network asks when the policy says so and runs with network once approved', async () => {
    const seen: string[] = [];
    h = await startHarness({
      approval: { network: true },
      script: [reply(functionCall('shell', { command: 'cat /sys/class/net/*/operstate | sort | tr "\\n" " "', with_network: true, justification: 'Check the network.' })), finish(seen)],
    });
    const running = h.run();
    const asked = await h.events.waitFor('approval_requested');
    expect(asked).toMatchObject({ kind: 'network', reason: expect.stringContaining('Check the network.') });
    h.ops.send({ type: 'approval', approvalId: asked.approvalId, decision: 'accept', by: 'UOWNER1' });
    expect(await running).toMatchObject({ status: 'completed' });
    expect(seen[0]).toMatch(/^Exit code: 0/);
    expect(seen[0]).toMatch(/\bup\b/); // an interface other than loopback (whose state is "unknown") is up
  });

  it('pushes ask; a large patch asks with its diff stat; on-request lets the model ask', async () => {
    const seen: string[] = [];
    const patch = '*** Begin Patch\n*** Update File: src/math.js\n@@\n-  return a - b;\n+  return a + b;\n*** End Patch';
    h = await startHarness({
      approval: { mode: 'on-request', push: true, changeLinesOver: 1 },
      script: [
        reply(functionCall('shell', { command: 'git push origin HEAD' })),
        (req) => {
          seen.push(lastToolOutput(req));
          return reply(functionCall('apply_patch', { input: patch }));
        },
        (req) => {
          seen.push(lastToolOutput(req));
          return reply(functionCall('shell', { command: 'ls', require_approval: true, justification: 'Just checking.' }));
        },
        finish(seen),
      ],
    });
    const running = h.run();
    const push = await h.events.waitFor('approval_requested');
    expect(push).toMatchObject({ kind: 'push', command: 'git push origin HEAD' });
    h.ops.send({ type: 'approval', approvalId: push.approvalId, decision: 'decline', by: 'UOWNER1' });
    const patchAsk = await h.events.waitFor('approval_requested', (e) => e.kind === 'patch');
    expect(patchAsk.diffStat).toEqual({ files: [{ path: 'src/math.js', added: 1, removed: 1 }], added: 1, removed: 1 });
    expect(h.read('src/math.js')).toContain('a - b'); // nothing written before the decision
    h.ops.send({ type: 'approval', approvalId: patchAsk.approvalId, decision: 'accept', by: 'UOWNER1' });
    const own = await h.events.waitFor('approval_requested', (e) => e.kind === 'command');
    expect(own).toMatchObject({ command: 'ls', reason: expect.stringContaining('Just checking.') });
    h.ops.send({ type: 'approval', approvalId: own.approvalId, decision: 'accept', by: 'UOWNER1' });
    expect(await running).toMatchObject({ status: 'completed' });
    expect(seen[0]).toMatch(/declined this command/);
    expect(seen[1]).toMatch(/^Success/);
    expect(h.read('src/math.js')).toContain('a + b');
    expect(seen[2]).toMatch(/^Exit code: 0/);
  });

  it('in never mode the model cannot ask, and with network off in the policy network commands do not ask', async () => {
    h = await startHarness({
      approval: { mode: 'never', network: false },
      script: [reply(functionCall('shell', { command: 'true', require_approval: true }), functionCall('shell', { command: 'true', with_network: true })), reply(message('Done.'))],
    });
    expect(await h.run()).toMatchObject({ status: 'completed' });
    expect(h.events.of('approval_requested')).toHaveLength(0);
    expect(h.events.of('command_finished').map((e) => e.exitCode)).toEqual([0, 0]);
    const shell = h.server.requests[0]!.body.tools.find((t: { name: string }) => t.name === 'shell');
    expect(Object.keys(shell.parameters.properties)).not.toContain('require_approval');
  });

  it('an interrupt while waiting for approval resolves it and stops the step', async () => {
    h = await startHarness({ approval: { commandPatterns: ['^rm\\b'] }, script: [reply(functionCall('shell', { command: 'rm -rf test' })), (req) => reply(message(lastToolOutput(req)))] });
    const running = h.run();
    const asked = await h.events.waitFor('approval_requested');
    h.ops.send({ type: 'interrupt', by: 'UOWNER1' });
    await h.events.waitFor('task_interrupted');
    expect(h.events.of('approval_resolved')).toEqual([expect.objectContaining({ approvalId: asked.approvalId, decision: 'decline', by: 'UOWNER1', timedOut: false })]);
    h.ops.send({ type: 'approval', approvalId: asked.approvalId, decision: 'accept', by: 'UOWNER1' }); // too late: ignored
    h.ops.send({ type: 'steer', text: 'Leave the tests alone.', by: 'UOWNER1' });
    const outcome = await running;
    expect(outcome).toMatchObject({ status: 'completed', summary: expect.stringMatching(/^Interrupted by user while this call ran\.\nThe command did not run/) });
    expect(await h.sandbox.fileExists('test/math.test.js')).toBe(true);
  });
});
