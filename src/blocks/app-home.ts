import type { KnownBlock } from '@slack/web-api';
import type { TaskStatus } from '../tasks/task-record.js';
import { actions, button, context, divider, section } from './block-kit.js';
import { ACTION_IDS, encodeAutomationButtonValue, encodeButtonValue } from './button-value.js';
import { formatElapsed, mention, slackTime } from './format.js';
import { escapeMrkdwn, inlineCode, snippet } from './limits.js';
import { newAutomationButton, renderHomeDefaults } from './home-controls.js';
import { STATUS_LABELS } from './status-card.js';

/** A task on the App Home: the viewer may act on it (its owner, or an approver of its repo). */
export interface HomeTask {
  taskId: string;
  status: TaskStatus;
  prompt: string;
  repo: string;
  owner: string;
  /** Link to the task's thread, when known. */
  threadUrl?: string;
  elapsedMs?: number;
}

export interface HomeAutomation {
  id: string;
  cron: string;
  timezone: string;
  repo: string;
  prompt: string;
  paused: boolean;
  /** ISO time of the next run (absent when paused). */
  next?: string;
}

export interface HomeView {
  /** Running and queued tasks the viewer may stop or cancel, oldest first. */
  active: HomeTask[];
  /** The viewer's ended tasks, newest first. */
  recent: HomeTask[];
  automations: HomeAutomation[];
  defaults: { repo?: string; model?: string; personality?: string };
  /** What the defaults menus offer: the configured names. */
  choices: { repos: string[]; models: string[]; personalities: string[] };
  /** A sentence about the viewer's last click on the Home that could not be carried out (shown on top until the next publish). */
  notice?: string;
}

/** Slack's limit for a Home tab is 100 blocks; each list is capped so the whole stays under it. */
export const HOME_LIMITS = { active: 15, recent: 8, automations: 10 } as const;

const STOPPABLE: ReadonlySet<TaskStatus> = new Set(['starting', 'working', 'waiting_for_approval', 'waiting_for_answer']);

function taskLine(t: HomeTask): string {
  const { icon, label } = STATUS_LABELS[t.status];
  const id = t.threadUrl && /^https?:\/\/[^\s|<>]+$/.test(t.threadUrl) ? `<${t.threadUrl}|${t.taskId}>` : inlineCode(t.taskId, 20);
  const age = t.elapsedMs !== undefined ? ` · ${formatElapsed(t.elapsedMs)}` : '';
  return `${icon} ${id} *${label}* · ${snippet(t.repo, 40)} · ${mention(t.owner)}${age}\n${snippet(t.prompt, 120)}`;
}

function more(count: number, shown: number, what: string): KnownBlock[] {
  return count > shown ? [context([`… and ${count - shown} more ${what}.`])] : [];
}

/**
 * The App Home tab as the fleet's command center: the running and queued tasks the viewer may
 * act on (Stop, Cancel, a link to the thread), their recent tasks, their automations (Pause or
 * Resume, Run now, Delete, and New automation: a modal) and their defaults (menus that save on pick). Every list is capped (HOME_LIMITS) so the tab
 * stays within Slack's 100 blocks; what is left out is counted.
 */
export function renderCommandCenter(view: HomeView): { type: 'home'; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [
    ...(view.notice ? [section(`⚠️ ${escapeMrkdwn(view.notice)}`)] : []),
    section(`*Codex* · start a task in any channel I am in with ${escapeMrkdwn('`/codex task <what to do>`')}, or mention me. Reply in a task's thread to steer it.`),
    divider(),
    section(`*Running and queued* (${view.active.length})`),
  ];
  if (view.active.length === 0) blocks.push(context(['Nothing is running for you right now.']));
  for (const t of view.active.slice(0, HOME_LIMITS.active)) {
    blocks.push(section(taskLine(t)));
    const value = encodeButtonValue({ t: t.taskId });
    const buttons = [...(STOPPABLE.has(t.status) ? [button({ text: 'Stop', actionId: ACTION_IDS.stop, value })] : []), button({ text: 'Cancel', actionId: ACTION_IDS.cancel, value, style: 'danger' })];
    blocks.push(actions(`home_task_${t.taskId}`, buttons));
  }
  blocks.push(...more(view.active.length, HOME_LIMITS.active, 'tasks: `/codex list` shows them all'));

  blocks.push(divider(), section('*Recent tasks*'));
  if (view.recent.length === 0) blocks.push(context(['No ended tasks yet.']));
  else blocks.push(section(view.recent.slice(0, HOME_LIMITS.recent).map(taskLine).join('\n')));
  blocks.push(...more(view.recent.length, HOME_LIMITS.recent, 'ended tasks'));

  blocks.push(divider(), section(`*Your automations* (${view.automations.length})`));
  if (view.automations.length === 0) blocks.push(context([`None yet: *New automation* below, or ${escapeMrkdwn('`/codex schedule "0 9 * * 1-5" <prompt>`')}, runs a prompt on a schedule.`]));
  for (const a of view.automations.slice(0, HOME_LIMITS.automations)) {
    const state = a.paused ? '⏸️ paused' : a.next ? `next ${slackTime(a.next, '{date_short_pretty} {time}')}` : 'no next run';
    blocks.push(section(`🔁 ${inlineCode(a.id, 20)} ${inlineCode(a.cron, 60)} (${escapeMrkdwn(a.timezone)}) · ${snippet(a.repo, 40)} · ${state}\n${snippet(a.prompt, 120)}`));
    const value = encodeAutomationButtonValue({ s: a.id });
    blocks.push(
      actions(`home_auto_${a.id}`, [
        a.paused ? button({ text: 'Resume', actionId: ACTION_IDS.automationResume, value }) : button({ text: 'Pause', actionId: ACTION_IDS.automationPause, value }),
        button({ text: 'Run now', actionId: ACTION_IDS.automationRun, value }),
        button({ text: 'Delete', actionId: ACTION_IDS.automationDelete, value, style: 'danger' }),
      ]),
    );
  }
  blocks.push(...more(view.automations.length, HOME_LIMITS.automations, 'automations: `/codex schedules` lists them'));
  blocks.push(newAutomationButton());

  blocks.push(divider(), ...renderHomeDefaults({ current: view.defaults, ...view.choices }));
  return { type: 'home', blocks };
}
