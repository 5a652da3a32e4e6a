import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reasoning, reply, type RecordedRequest } from '../fakes/model-server.js';
import { startHarness, type Harness } from './support/harness.js';

/*
 * Whole runs: a real sandbox on Docker with a git fixture, the scripted model through the real
 * openai SDK.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

const FIX = `*** Begin Patch
*** Update File: src/math.js
@@ export function add(a, b) {
-  return a - b;
+  return a + b;
 }
*** End Patch`;

describe('runAgent', () => {
  it('reads the code, patches it, runs the tests and finishes with a summary', async () => {
    const seen: string[] = [];
    const expectOutput = (pattern: RegExp) => (req: RecordedRequest) => {
      const out = lastToolOutput(req);
      seen.push(out);
      if (!pattern.test(out)) throw new Error(`model got unexpected tool output: ${out}`);
    };
    h = await startHarness({
      script: [
        reply(
          reasoning(['Look at the code first'], 'ENC-1'),
          message('Let me look at the code.'),
          functionCall('update_plan', { plan: [{ step: 'Read the code', status: 'in_progress' }, { step: 'Fix add', status: 'pending' }, { step: 'Run the tests', status: 'pending' }] }),
          functionCall('shell', { command: 'cat src/math.js' }),
        ),
        (req) => {
          expectOutput(/Exit code: 0[\s\S]*return a - b;/)(req);
          return reply(functionCall('apply_patch', { input: FIX }));
        },
        (req) => {
          expectOutput(/Success\. Updated the following files:\n {2}src\/math\.js \(\+1 -1\)/)(req);
          return reply(functionCall('shell', { command: 'node --test' }));
        },
        (req) => {
          expectOutput(/Exit code: 0[\s\S]*# pass 1[\s\S]*# fail 0/)(req);
          return reply(functionCall('update_plan', { plan: [{ step: 'Read the code', status: 'completed' }, { step: 'Fix add', status: 'completed' }, { step: 'Run the tests', status: 'completed' }] }));
        },
        reply(message('Fixed `add` in src/math.js: it subtracted. `node --test`: 1 passed, 0 failed.', 'final_answer')),
      ],
    });

    const outcome = await h.run();

    expect(outcome).toEqual({ status: 'completed', summary: 'Fixed `add` in src/math.js: it subtracted. `node --test`: 1 passed, 0 failed.' });
    expect(h.read('src/math.js')).toBe('export function add(a, b) {\n  return a + b;\n}\n');
    expect(h.git('status', '--porcelain')).toBe('M src/math.js');
    expect(seen).toHaveLength(3);

    const types = h.events.types().filter((t) => t !== 'token_usage');
    expect(types).toEqual([
      'agent_message',
      'plan_updated',
      'command_started',
      'command_finished',
      'files_changed',
      'command_started',
      'command_finished',
      'plan_updated',
      'agent_message',
    ]);
    const seqs = h.events.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const [cat, test] = h.events.of('command_finished');
    expect(cat).toMatchObject({ command: 'cat src/math.js', exitCode: 0, timedOut: false });
    expect(cat!.outputTail).toContain('return a - b;');
    expect(test).toMatchObject({ command: 'node --test', exitCode: 0 });
    expect(h.events.of('command_started').map((e) => e.callId)).toEqual(h.events.of('command_finished').map((e) => e.callId));
    expect(h.events.of('files_changed')[0]!.files).toEqual([{ path: 'src/math.js', added: 1, removed: 1 }]);
    expect(h.events.of('plan_updated')[1]!.steps.every((s) => s.status === 'completed')).toBe(true);
    const usage = h.events.of('token_usage');
    expect(usage).toHaveLength(5);
    expect(usage.at(-1)!.usage.inputTokens).toBeGreaterThan(usage[0]!.usage.inputTokens);

    // Every request carried the previous command's real output and the encrypted reasoning.
    const requests = h.server.requests;
    expect(requests).toHaveLength(5);
    expect(lastToolOutput(requests[1]!)).toContain('return a - b;');
    expect(lastToolOutput(requests[3]!)).toMatch(/# pass 1/);
    expect(requests[1]!.body.input).toContainEqual(expect.objectContaining({ type: 'reasoning', encrypted_content: 'ENC-1' }));
    expect(requests[0]!.body.instructions).toContain('Run the tests with `node --test`.');
    expect(requests[0]!.body.input[0]).toMatchObject({ role: 'user', content: expect.stringContaining('Fix the failing test') });

    const saved = await h.store.load(h.task.taskId);
    expect(saved).toMatchObject({ turn: 1, lastSeq: h.events.events.at(-1)!.seq, usage: usage.at(-1)!.usage });
    expect(saved!.items).toEqual(requests[4]!.body.input.concat([expect.objectContaining({ type: 'message', role: 'assistant' })]));
  });

  it('keeps instructions and tools byte-identical and only appends to the input', async () => {
    h = await startHarness({
      script: [
        reply(functionCall('shell', { command: 'ls' })),
        reply(message('Looking around.'), functionCall('shell', { command: 'git status --short' })),
        reply(message('Nothing to do.')),
      ],
    });
    const outcome = await h.run();
    expect(outcome.status).toBe('completed');
    const bodies = h.server.requests.map((r) => r.body);
    expect(bodies).toHaveLength(3);
    for (const body of bodies) {
      expect(body).toMatchObject({ store: false, prompt_cache_key: h.task.taskId, include: ['reasoning.encrypted_content'], stream: true, model: 'test-model' });
      expect(JSON.stringify(body.instructions)).toBe(JSON.stringify(bodies[0].instructions));
      expect(JSON.stringify(body.tools)).toBe(JSON.stringify(bodies[0].tools));
    }
    for (let i = 1; i < bodies.length; i += 1) {
      const prev = bodies[i - 1].input as unknown[];
      expect((bodies[i].input as unknown[]).slice(0, prev.length)).toEqual(prev);
      expect(JSON.stringify(bodies[i].input).startsWith(JSON.stringify(prev).slice(0, -1))).toBe(true);
    }
    expect(bodies[0].tools.map((t: { name: string }) => t.name)).toEqual(['shell', 'apply_patch', 'update_plan', 'ask_people']);
  });

  it('continues the saved conversation on a follow-up turn', async () => {
    h = await startHarness({ script: [reply(message('First turn done.')), reply(message('Second turn done.'))] });
    expect(await h.run()).toMatchObject({ status: 'completed', summary: 'First turn done.' });
    expect(await h.run({ turn: 2, turnPrompt: 'Now also add a subtract function.' })).toMatchObject({ status: 'completed', summary: 'Second turn done.' });
    const second = h.server.requests[1]!.body.input as unknown[];
    expect(second.slice(0, 2)).toEqual(h.server.requests[0]!.body.input.concat([expect.objectContaining({ role: 'assistant' })]));
    expect(second[2]).toMatchObject({ role: 'user', content: 'Follow-up from <@UOWNER1>:\nNow also add a subtract function.' });
    expect((await h.store.load(h.task.taskId))!.turn).toBe(2);
  });
});

describe('saving a turn as it goes', () => {
  it('saves after each tool call of a batch, so a resumed turn knows exactly which calls ran', async () => {
    h = await startHarness({
      script: [reply(functionCall('shell', { command: 'echo first' }, 'call_first'), functionCall('shell', { command: 'sleep 3; echo second' }, 'call_second')), reply(message('Both ran.'))],
    });
    const running = h.run();
    // While the second call runs, the first one's output is already stored.
    await h.events.waitFor('command_started', (e) => e.command.includes('sleep 3'));
    const saved = await h.store.load(h.task.taskId);
    const outputs = saved!.items.filter((i) => i.type === 'function_call_output') as Array<{ call_id: string; output: string }>;
    expect(outputs.map((o) => o.call_id)).toEqual(['call_first']);
    expect(outputs[0]!.output).toContain('first');
    expect(await running).toMatchObject({ status: 'completed', summary: 'Both ran.' });
  });
});
