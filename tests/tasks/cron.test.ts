import { describe, expect, it } from 'vitest';
import { checkCron, EXAMPLE_CRON } from '../../src/tasks/cron.js';
import { parseCommand } from '../../src/slack/parse-command.js';

describe('automation schedules', () => {
  const from = new Date('2026-12-03T10:00:00Z');

  it('accepts a valid cron line and gives its next runs in the time zone', () => {
    const check = checkCron('30 9 * * 1-5', 'Europe/Berlin', 15, from);
    expect(check).toEqual({ ok: true, next: [new Date('2026-12-04T08:30:00Z'), new Date('2026-12-07T08:30:00Z'), new Date('2026-12-08T08:30:00Z')] });
  });

  it('refuses an invalid or too frequent line with the reason and a valid example', () => {
    const bad = checkCron('every day', 'UTC', 15, from);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toMatch(/five fields/);
    expect(!bad.ok && bad.example.cron).toBe(EXAMPLE_CRON);
    expect(!bad.ok && bad.example.next).toHaveLength(3);
    const invalid = checkCron('61 * * * *', 'UTC', 15, from);
    expect(!invalid.ok && invalid.reason).toMatch(/not a valid cron line/);
    const often = checkCron('*/5 * * * *', 'UTC', 15, from);
    expect(!often.ok && often.reason).toMatch(/every 5 minute\(s\); automations may run at most every 15 minutes/);
    expect(checkCron('*/15 * * * *', 'UTC', 15, from).ok).toBe(true);
  });

  it('parses /codex schedule with the cron line in straight or curly quotes', () => {
    expect(parseCommand('schedule "0 9 * * 1-5" --repo billing triage the CI failures')).toEqual({ kind: 'schedule', cron: '0 9 * * 1-5', prompt: 'triage the CI failures', repo: 'billing' });
    expect(parseCommand('schedule \u201c0 9 * * *\u201d summarise')).toMatchObject({ kind: 'schedule', cron: '0 9 * * *', prompt: 'summarise' });
    expect(parseCommand('schedule 0 9 * * * summarise')).toMatchObject({ kind: 'invalid' });
    expect(parseCommand('schedules')).toEqual({ kind: 'schedules' });
    expect(parseCommand('unschedule abcd1234')).toEqual({ kind: 'unschedule', automationId: 'abcd1234' });
    expect(parseCommand('unschedule')).toMatchObject({ kind: 'invalid' });
  });
});
