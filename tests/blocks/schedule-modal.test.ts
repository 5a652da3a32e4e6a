import { describe, expect, it } from 'vitest';
import { renderScheduleModal, scheduleFieldError } from '../../src/blocks/schedule-modal.js';
import { validateModal } from '../fakes/block-kit-validator.js';

const base = { repos: ['calc'], models: ['m1'], personalities: ['pragmatic'], defaults: {}, timezone: 'Europe/Berlin', minIntervalMinutes: 15, exampleCron: '0 9 * * 1-5', pullRequests: false };

describe('the schedule modal', () => {
  it('is a valid modal with the inputs of /codex schedule, the only repo and the defaults preselected', () => {
    const view = renderScheduleModal({ ...base, defaults: { model: 'm1' }, channel: 'C0FAKEGEN1' });
    expect(validateModal(view)).toEqual([]);
    const inputs = view.blocks.filter((b) => b.type === 'input') as Array<{ block_id: string; optional?: boolean; element: { initial_option?: { value: string }; initial_conversation?: string } }>;
    expect(inputs.map((b) => [b.block_id, b.optional ?? false])).toEqual([
      ['cron', false],
      ['prompt', false],
      ['repo', false],
      ['channel', false],
      ['model', true],
      ['personality', true],
    ]);
    expect(inputs[2]!.element.initial_option?.value).toBe('calc');
    expect(inputs[3]!.element.initial_conversation).toBe('C0FAKEGEN1');
    expect(inputs[4]!.element.initial_option?.value).toBe('m1');
  });

  it('stays valid with too many or too long names: values that cannot be sent whole are left out, lists capped', () => {
    const repos = [...Array.from({ length: 150 }, (_, i) => `repo-${i}-${'x'.repeat(80)}`), 'r'.repeat(151)];
    const view = renderScheduleModal({ ...base, repos, models: Array.from({ length: 120 }, (_, i) => `model-${i}`), pullRequests: true, defaults: { repo: 'r'.repeat(151) } });
    expect(validateModal(view)).toEqual([]);
    const repo = view.blocks.find((b) => b.block_id === 'repo') as { element: { options: Array<{ value: string }>; initial_option?: unknown } };
    expect(repo.element.options).toHaveLength(100);
    expect(repo.element.initial_option).toBeUndefined();
  });

  it('says a cron refusal with the next runs of the example in plain text, in the zone', () => {
    const text = scheduleFieldError({ kind: 'invalid_schedule', reason: '"x" is not a cron line', example: '0 9 * * 1-5', next: ['2026-12-04T08:00:00.000Z', '2026-12-07T08:00:00.000Z', '2026-12-08T08:00:00.000Z'], timezone: 'Europe/Berlin' });
    expect(text).toBe('"x" is not a cron line. A valid line, for example: "0 9 * * 1-5" runs next at Fri 4 Dec, 09:00, Mon 7 Dec, 09:00, Tue 8 Dec, 09:00 (Europe/Berlin).');
  });
});
