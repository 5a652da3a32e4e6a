import type { SlashCommand } from '@slack/bolt';
import { renderAutomationList, renderError, renderScheduled } from '../blocks/index.js';
import { canDecide } from '../tasks/access.js';
import { checkCron, nextRuns } from '../tasks/cron.js';
import { newTaskId } from '../tasks/task-record.js';
import { withTimeout } from '../util/with-timeout.js';
import type { Ack } from './ack.js';
import type { ParsedCommand } from './parse-command.js';
import { REDIS_DEADLINE_MS, type SlackDeps } from './slack-deps.js';
import { taskTarget } from './task-target.js';

/**
 * `/codex schedule "<cron>" [--repo NAME] <prompt>`, `/codex schedules` and `/codex unschedule
 * <id>`. A cron line that is invalid or more frequent than `automations.minIntervalMinutes` is
 * refused in the ack with the reason and a valid example's next runs. Everything is ephemeral.
 */
export async function handleScheduleCommand(deps: SlackDeps, command: SlashCommand, parsed: Extract<ParsedCommand, { kind: 'schedule' | 'schedules' | 'unschedule' }>, ack: Ack): Promise<void> {
  const { timezone, minIntervalMinutes } = deps.config.file.automations;
  const unavailable = () => ack({ response_type: 'ephemeral', ...renderError({ kind: 'service_unavailable', service: 'redis' }) });
  if (parsed.kind === 'schedule') {
    const check = checkCron(parsed.cron, timezone, minIntervalMinutes);
    if (!check.ok) return ack({ response_type: 'ephemeral', ...renderError({ kind: 'invalid_schedule', reason: check.reason, example: check.example.cron, next: check.example.next.map((d) => d.toISOString()), timezone }) });
    const target = taskTarget(deps.config, command.channel_id, command.user_id, { repo: parsed.repo });
    if (!target.ok) return ack({ response_type: 'ephemeral', ...renderError(target.error) });
    const automation = { id: newTaskId(), cron: parsed.cron, timezone, prompt: parsed.prompt, repo: target.repo.name, channel: command.channel_id, owner: command.user_id, teamId: command.team_id, createdAt: new Date().toISOString(), paused: false, failures: 0, skipped: 0 };
    try {
      await withTimeout(deps.automations.schedule(automation), REDIS_DEADLINE_MS * 1.5, 'redis_timeout', 'scheduling');
    } catch {
      return unavailable();
    }
    return ack({ response_type: 'ephemeral', ...renderScheduled({ id: automation.id, cron: automation.cron, timezone, repo: automation.repo, prompt: automation.prompt, next: check.next.map((d) => d.toISOString()) }) });
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
