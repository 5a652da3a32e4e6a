import type { SlashCommand } from '@slack/bolt';
import { renderAutomationList, renderError, renderScheduled } from '../blocks/index.js';
import { canDecide } from '../tasks/access.js';
import { nextRuns } from '../tasks/cron.js';
import { withTimeout } from '../util/with-timeout.js';
import type { Ack } from './ack.js';
import type { ParsedCommand } from './parse-command.js';
import { REDIS_DEADLINE_MS, type SlackDeps } from './slack-deps.js';
import { planAutomation, saveAutomation } from './schedule-automation.js';
import { preferencesOf } from './task-target.js';

/**
 * `/codex schedule "<cron>" [--repo NAME] [--model NAME] [--personality NAME] [--pr] <prompt>`,
 * `/codex schedules` and `/codex unschedule <id>`. A cron line that is invalid or more frequent
 * than `automations.minIntervalMinutes` is refused in the ack with the reason and a valid
 * example's next runs (planAutomation, shared with the App Home's modal). Everything is ephemeral.
 */
export async function handleScheduleCommand(deps: SlackDeps, command: SlashCommand, parsed: Extract<ParsedCommand, { kind: 'schedule' | 'schedules' | 'unschedule' }>, ack: Ack): Promise<void> {
  const unavailable = () => ack({ response_type: 'ephemeral', ...renderError({ kind: 'service_unavailable', service: 'redis' }) });
  if (parsed.kind === 'schedule') {
    const { cron, prompt, repo, model, personality, pullRequest } = parsed;
    // Without --repo, the person's default repo applies, as for /codex task.
    const prefs = repo === undefined ? await withTimeout(preferencesOf(deps).get(command.user_id), REDIS_DEADLINE_MS).catch(() => undefined) : {};
    if (!prefs) return unavailable();
    const plan = planAutomation(deps, { cron, prompt, repo, model, personality, pullRequest, channel: command.channel_id, user: command.user_id, teamId: command.team_id }, prefs);
    if (!plan.ok) return ack({ response_type: 'ephemeral', ...renderError(plan.error) });
    const a = plan.automation;
    if (!(await saveAutomation(deps, a))) return unavailable();
    return ack({ response_type: 'ephemeral', ...renderScheduled({ id: a.id, cron: a.cron, timezone: a.timezone, repo: a.repo, prompt: a.prompt, next: plan.next.map((d) => d.toISOString()) }) });
  }
  if (parsed.kind === 'schedules') {
    const all = await withTimeout(deps.automations.list(), REDIS_DEADLINE_MS).catch(() => undefined);
    if (!all) return unavailable();
    const here = all.filter((a) => a.channel === command.channel_id || a.owner === command.user_id);
    const items = here.map((a) => ({ id: a.id, cron: a.cron, timezone: a.timezone, repo: a.repo, prompt: a.prompt, owner: a.owner, paused: a.paused, failures: a.failures, skipped: a.skipped, next: a.paused ? undefined : safeNext(a.cron, a.timezone) }));
    return ack({ response_type: 'ephemeral', ...renderAutomationList({ automations: items }) });
  }
  const automation = await withTimeout(deps.automations.get(parsed.automationId), REDIS_DEADLINE_MS).catch(() => null);
  if (automation === null) return unavailable();
  if (!automation) return ack({ response_type: 'ephemeral', ...renderError({ kind: 'automation_not_found', id: parsed.automationId }) });
  if (!canDecide(deps.config.findRepo(automation.repo), automation.owner, command.user_id)) return ack({ response_type: 'ephemeral', ...renderError({ kind: 'not_permitted', action: 'unschedule', owner: automation.owner }) });
  await withTimeout(deps.automations.remove(automation.id), REDIS_DEADLINE_MS * 1.5).catch(() => undefined);
  return ack({ response_type: 'ephemeral', text: `Unscheduled \`${automation.id}\`; runs already started go on.` });
}

function safeNext(cron: string, tz: string): string | undefined {
  try {
    return nextRuns(cron, tz, 1)[0]!.toISOString();
  } catch {
    return undefined;
  }
}
