import { describe, expect, it } from 'vitest';
import { validateBlocks } from '../fakes/block-kit-validator.js';
import { NO_DEFAULT } from '../../src/blocks/home-controls.js';
import { HOME_LIMITS, renderCommandCenter, type HomeTask } from '../../src/blocks/app-home.js';

const task = (i: number, status: HomeTask['status'] = 'working'): HomeTask => ({ taskId: `t${String(i).padStart(7, '0')}`, status, prompt: `task number ${i} <@U999>`, repo: 'billing', owner: 'U0OWNER001', elapsedMs: 60_000 * i });

describe('the App Home command center', () => {
  it('stays within Slack\'s 100 blocks however many tasks and automations there are, and counts the rest', () => {
    const view = renderCommandCenter({
      active: Array.from({ length: 60 }, (_, i) => task(i)),
      recent: Array.from({ length: 40 }, (_, i) => task(i, 'done')),
      automations: Array.from({ length: 30 }, (_, i) => ({ id: `a${String(i).padStart(7, '0')}`, cron: '0 9 * * 1-5', timezone: 'UTC', repo: 'billing', prompt: 'triage', paused: i % 2 === 0, next: '2026-12-04T09:00:00Z' })),
      defaults: { repo: 'billing' },
      choices: { repos: Array.from({ length: 150 }, (_, i) => `repo-${i}`), models: ['m'], personalities: ['pragmatic', 'friendly'] },
    });
    expect(validateBlocks(view.blocks, 'home', '/view/blocks')).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain(`… and ${60 - HOME_LIMITS.active} more tasks`);
    expect(text).toContain(`… and ${30 - HOME_LIMITS.automations} more automations`);
    // Mentions from prompts are shown, never acted on.
    expect(text).not.toContain('<@U999>');
  });

  it('offers Stop only to running tasks, Cancel to all, and Pause or Resume by state', () => {
    const view = renderCommandCenter({ active: [task(1, 'queued'), task(2, 'working')], recent: [], automations: [{ id: 'aaaaaaaa', cron: '0 9 * * *', timezone: 'UTC', repo: 'r', prompt: 'p', paused: true }], defaults: {}, choices: { repos: ['r'], models: ['m'], personalities: [] } });
    const rows = view.blocks.filter((b) => b.type === 'actions') as Array<{ block_id: string; elements: Array<{ action_id: string }> }>;
    const ids = (blockId: string) => rows.find((r) => r.block_id === blockId)!.elements.map((e) => e.action_id);
    expect(ids('home_task_t0000001')).toEqual(['codex_cancel']);
    expect(ids('home_task_t0000002')).toEqual(['codex_stop', 'codex_cancel']);
    expect(ids('home_auto_aaaaaaaa')).toEqual(['codex_auto_resume', 'codex_auto_run', 'codex_auto_delete']);
  });

  it('offers New automation and a menu per default, the current one selected and "no default" to clear it', () => {
    const view = renderCommandCenter({ active: [], recent: [], automations: [], defaults: { model: 'm2' }, choices: { repos: ['calc', 'web'], models: ['m1', 'm2'], personalities: ['pragmatic'] } });
    expect(validateBlocks(view.blocks, 'home', '/view/blocks')).toEqual([]);
    const row = view.blocks.find((b) => b.block_id === 'home_defaults') as { elements: Array<{ action_id: string; options: Array<{ value: string }>; initial_option?: { value: string } }> };
    expect(row.elements.map((e) => [e.action_id, e.initial_option?.value])).toEqual([
      ['codex_home_default_repo', NO_DEFAULT],
      ['codex_home_default_model', 'm2'],
      ['codex_home_default_personality', NO_DEFAULT],
    ]);
    expect(row.elements[0]!.options.map((o) => o.value)).toEqual([NO_DEFAULT, 'calc', 'web']);
    expect(JSON.stringify(view.blocks)).toContain('codex_home_new_automation');
  });
});
