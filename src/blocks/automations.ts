import type { KnownBlock } from '@slack/web-api';
import { context, section } from './block-kit.js';
import { mention, slackTime } from './format.js';
import { escapeMrkdwn, inlineCode, snippet } from './limits.js';
import { buildMessage, type SlackMessage } from './message.js';

/** One automation as `/codex schedules` lists it. */
export interface AutomationItem {
  id: string;
  cron: string;
  timezone: string;
  repo: string;
  prompt: string;
  owner: string;
  paused: boolean;
  failures: number;
  skipped: number;
  /** ISO time of the next run (absent when paused). */
  next?: string;
}

/** Automations shown; more are counted. */
export const AUTOMATION_LIST_MAX = 20;

const when = (iso: string) => slackTime(iso, '{date_short_pretty} {time}');

/** The ack of `/codex schedule`: the automation's id and its next runs. */
export function renderScheduled(view: { id: string; cron: string; timezone: string; repo: string; prompt: string; next: string[] }): SlackMessage {
  const text = `🔁 Scheduled automation ${inlineCode(view.id, 20)}: ${inlineCode(view.cron, 60)} (${escapeMrkdwn(view.timezone)}) on ${snippet(view.repo, 60)}: ${snippet(view.prompt, 200)}`;
  const blocks: KnownBlock[] = [
    section(text),
    context([`Next runs: ${view.next.map(when).join(', ')}. Each run is a task in this channel. \`/codex schedules\` lists automations; \`/codex unschedule ${view.id}\` removes this one.`]),
  ];
  return buildMessage(`Scheduled automation ${view.id}`, blocks);
}

/** `/codex schedules`: the automations of this channel and the person's own. */
export function renderAutomationList(view: { automations: AutomationItem[] }): SlackMessage {
  if (view.automations.length === 0) {
    const text = 'There are no automations here yet. Schedule one with `/codex schedule "0 9 * * 1-5" &lt;prompt&gt;`.';
    return buildMessage(text, [section(text)]);
  }
  const lines = view.automations.slice(0, AUTOMATION_LIST_MAX).map((a) => {
    const state = a.paused ? `⏸️ paused${a.failures >= 3 ? ` after ${a.failures} failed runs` : ''}` : a.next ? `next ${when(a.next)}` : 'no next run';
    const skipped = a.skipped > 0 ? ` · ${a.skipped} skipped` : '';
    return `🔁 ${inlineCode(a.id, 20)} ${inlineCode(a.cron, 60)} (${escapeMrkdwn(a.timezone)}) · ${snippet(a.repo, 40)} · ${mention(a.owner)} · ${state}${skipped}\n      ${snippet(a.prompt, 90)}`;
  });
  const more = view.automations.length - AUTOMATION_LIST_MAX;
  const blocks: KnownBlock[] = [section(`*Automations*\n${lines.join('\n')}`)];
  blocks.push(context([`${more > 0 ? `… and ${more} more. ` : ''}\`/codex unschedule &lt;id&gt;\` removes one.`]));
  return buildMessage(`Automations: ${view.automations.length}`, blocks);
}

/** Posted in the channel when three failed runs in a row pause an automation. */
export function renderAutomationPaused(view: { id: string; owner: string; failures: number }): SlackMessage {
  const text = `⏸️ Automation ${inlineCode(view.id, 20)} of ${mention(view.owner)} is paused: its last ${view.failures} runs failed. Look at those tasks' threads; \`/codex unschedule ${view.id}\` removes it, and scheduling it again starts it afresh.`;
  return buildMessage(`Automation ${view.id} paused after ${view.failures} failed runs`, [section(text)]);
}
