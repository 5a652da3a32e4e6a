import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply, type RecordedRequest, type ScriptReply } from '../fakes/model-server.js';
import { CALC_REPO, startHarness, type Harness } from './support/harness.js';

/* Whatever the model gets wrong reaches it as a tool output; the run goes on. */

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe('tool call errors', () => {
  it('answers bad JSON, wrong types, an unknown tool and a patch that does not apply, and continues', async () => {
    const outputs: string[] = [];
    const next = (answer: ScriptReply) => (req: RecordedRequest) => {
      outputs.push(lastToolOutput(req));
      return answer;
    };
    const badPatch = '*** Begin Patch\n*** Add File: NOTES.md\n+note\n*** Update File: src/math.js\n@@ export function add(a, b) {\n-  return a * b;\n+  return a + b;\n*** End Patch';
    h = await startHarness({
      script: [
        reply(functionCall('shell', '{"command": "ls"', 'call_json')),
        next(reply(functionCall('shell', { command: 42, timeout_ms: 'soon' }, 'call_types'))),
        next(reply(functionCall('browse_web', { url: 'https://example.com' }, 'call_unknown'))),
        next(reply(functionCall('apply_patch', { input: badPatch }, 'call_patch'))),
        next(reply(functionCall('apply_patch', { input: 'not a patch' }, 'call_format'))),
        next(reply(functionCall('update_plan', { plan: [{ step: 'a', status: 'in_progress' }, { step: 'b', status: 'in_progress' }] }, 'call_plan'))),
        next(reply(functionCall('shell', { command: 'ls', workdir: '../..' }, 'call_escape'))),
        next(reply(message('I could not fix it.'))),
      ],
    });
    const outcome = await h.run();
    expect(outcome).toEqual({ status: 'completed', summary: 'I could not fix it.' });
    expect(outputs).toHaveLength(7);
    expect(outputs[0]).toMatch(/^Error: the arguments of shell are not valid JSON \(.+\)\. Send one JSON object, for example \{"command": …\}\.$/);
    expect(outputs[1]).toMatch(/invalid arguments for shell:[\s\S]*expected string, received number[\s\S]*→ at command[\s\S]*→ at timeout_ms/);
    expect(outputs[2]).toBe('Error: there is no tool named "browse_web". Available tools: shell, apply_patch, update_plan, ask_people.');
    expect(outputs[3]).toMatch(/^Error: Failed to apply hunk 1 of 1 \(patch line 5\) for 'src\/math\.js': these lines were not found after the context line "@@ export function add\(a, b\) \{":\n {2}return a \* b;\nNothing was changed\./);
    expect(outputs[4]).toMatch(/^Error: Invalid patch: the first line of the patch must be '\*\*\* Begin Patch'/);
    expect(outputs[5]).toMatch(/at most one step may be in_progress/);
    expect(outputs[6]).toMatch(/^Error: Refused "\.\.\/\.\."/);
    // The failed patch changed nothing, not even the file it would have added.
    expect(h.read('src/math.js')).toBe(CALC_REPO['src/math.js']);
    expect(await h.sandbox.fileExists('NOTES.md')).toBe(false);
    expect(h.git('status', '--porcelain')).toBe('');
    // The command that could not start still got its command_finished.
    expect(h.events.types().filter((t) => t !== 'token_usage')).toEqual(['command_started', 'command_finished', 'agent_message']);
    expect(h.events.of('command_finished')[0]).toMatchObject({ callId: 'call_escape', exitCode: -1 });
  });

  it('applies add, update with a move and delete in one patch through the sandbox', async () => {
    const patch = [
      '*** Begin Patch',
      '*** Add File: docs/usage.md',
      '+# Usage',
      '+Call add(a, b).',
      '*** Update File: src/math.js',
      '*** Move to: lib/math.js',
      '@@',
      '-  return a - b;',
      '+  return a + b;',
      '*** Delete File: AGENTS.md',
      '*** End Patch',
    ].join('\n');
    h = await startHarness({ script: [reply(functionCall('apply_patch', { input: patch })), (req) => reply(message(lastToolOutput(req)))] });
    const outcome = await h.run();
    expect(outcome).toEqual({ status: 'completed', summary: 'Success. Updated the following files:\n  docs/usage.md (+2 -0)\n  lib/math.js (+1 -1)\n  AGENTS.md (+0 -2)' });
    expect(h.read('docs/usage.md')).toBe('# Usage\nCall add(a, b).\n');
    expect(h.read('lib/math.js')).toBe('export function add(a, b) {\n  return a + b;\n}\n');
    const status = h.git('status', '--porcelain', '--untracked-files=all').split('\n').map((l) => l.trim());
    expect(status.sort()).toEqual(['?? docs/usage.md', '?? lib/math.js', 'D AGENTS.md', 'D src/math.js'].sort());
    expect(h.events.of('files_changed')[0]!.files).toEqual([
      { path: 'docs/usage.md', added: 2, removed: 0 },
      { path: 'lib/math.js', added: 1, removed: 1 },
      { path: 'AGENTS.md', added: 0, removed: 2 },
    ]);
  });
});
