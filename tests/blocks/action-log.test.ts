import { describe, expect, it } from 'vitest';
import { actionLogEntries, actionLogFile, renderActionLog } from '../../src/blocks/action-log.js';
import type { TaskEvent } from '../../src/tasks/protocol.js';
import { allText, expectValid } from './preview.js';

const at = (s: number) => new Date(Date.UTC(2025, 0, 2, 3, 4, s)).toISOString();
const base = (seq: number) => ({ taskId: 'k3x9q2m1', seq, at: at(seq) });

describe('the action log builder', () => {
  it('keeps actions only, in sequence order, whatever order the events come in', () => {
    const events: TaskEvent[] = [
      { ...base(3), type: 'approval_resolved', approvalId: 'a1', decision: 'decline', by: 'U0APPROVER1', timedOut: false },
      { ...base(1), type: 'agent_message', text: 'narration' },
      { ...base(2), type: 'command_finished', callId: 'c', command: 'npm test\n--watch', exitCode: 1, durationMs: 2_150, timedOut: false, outputTail: '' },
      { ...base(4), type: 'approval_resolved', approvalId: 'a2', decision: 'accept', timedOut: true },
    ];
    const entries = actionLogEntries(events);
    expect(entries.map((e) => e.plain)).toEqual(['$ npm test ⏎ --watch  → exit 1 in 2.1s', 'declined by U0APPROVER1', 'approval not decided in time: counted as declined']);
    expect(actionLogFile({ taskId: 'k3x9q2m1', entries })).toContain('2025-01-02 03:04:02Z  $ npm test');
    const shown = renderActionLog({ taskId: 'k3x9q2m1', entries })!;
    expectValid(shown);
    expect(allText(shown)).toContain('declined by <@U0APPROVER1>');
  });

  it('is too long to show inline past its limits, and stays valid up to them', () => {
    const many = (n: number, len: number): TaskEvent[] => Array.from({ length: n }, (_, i) => ({ ...base(i + 1), type: 'command_finished' as const, callId: `c${i}`, command: `echo ${'x'.repeat(len)}`, exitCode: 0, durationMs: 5, timedOut: false, outputTail: '' }));
    expect(renderActionLog({ taskId: 'k3x9q2m1', entries: actionLogEntries(many(26, 5)) })).toBeUndefined();
    expect(renderActionLog({ taskId: 'k3x9q2m1', entries: actionLogEntries(many(20, 500)) })).toBeUndefined();
    expectValid(renderActionLog({ taskId: 'k3x9q2m1', entries: actionLogEntries(many(25, 5)) })!);
  });
});
