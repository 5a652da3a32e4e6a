import type { ErrorView } from '../blocks/index.js';
import type { Automation } from '../tasks/automations.js';
import type { Preferences } from '../tasks/preferences.js';
import { checkCron } from '../tasks/cron.js';
import { newTaskId } from '../tasks/task-record.js';
import { withTimeout } from '../util/with-timeout.js';
import { REDIS_DEADLINE_MS, type SlackDeps } from './slack-deps.js';
import { taskTarget } from './task-target.js';

/** What a new automation is asked with: `/codex schedule` parsed, or the App Home's modal read. */
export interface AutomationRequest {
  cron: string;
  prompt: string;
  repo?: string;
  model?: string;
  personality?: string;
  pullRequest?: boolean;
  /** Where its runs land; the slash command's channel, or the one picked in the modal. */
  channel: string;
  user: string;
  teamId?: string;
}

/** Which part of the request a refusal is about (the modal shows it under that input). */
export type AutomationField = 'cron' | 'repo' | 'model' | 'personality' | 'channel' | 'pullRequest';

export type AutomationPlan = { ok: true; automation: Automation; next: Date[] } | { ok: false; field: AutomationField; error: ErrorView };

/**
 * Checks an automation request the one way `/codex schedule` and the App Home's modal share:
 * the cron line (valid, not more frequent than `automations.minIntervalMinutes`), then the
 * repo, model and personality as a task started by this person in that channel would be
 * (taskTarget with the person's defaults `prefs`: names must be configured, the person and
 * channel allowed), then `--pr` (a repo on GitHub). Pure: nothing is written.
 */
export function planAutomation(deps: Pick<SlackDeps, 'config'>, req: AutomationRequest, prefs: Preferences = {}, now = new Date()): AutomationPlan {
  const { timezone, minIntervalMinutes } = deps.config.file.automations;
  const check = checkCron(req.cron, timezone, minIntervalMinutes, now);
  if (!check.ok) return { ok: false, field: 'cron', error: { kind: 'invalid_schedule', reason: check.reason, example: check.example.cron, next: check.example.next.map((d) => d.toISOString()), timezone } };
  const target = taskTarget(deps.config, req.channel, req.user, { repo: req.repo, model: req.model, personality: req.personality }, prefs);
  if (!target.ok) return { ok: false, field: fieldOf(target.error), error: target.error };
  if (req.pullRequest && !target.repo.github) return { ok: false, field: 'pullRequest', error: { kind: 'no_code_host', repo: target.repo.name } };
  const automation: Automation = {
    id: newTaskId(),
    cron: req.cron.trim(),
    timezone,
    prompt: req.prompt,
    repo: target.repo.name,
    // A model or personality named at scheduling time is kept; otherwise each run takes the author's defaults then.
    ...(req.model !== undefined || req.personality !== undefined || req.pullRequest
      ? { requested: { ...(req.model !== undefined ? { model: target.model } : {}), ...(req.personality !== undefined && target.personality ? { personality: target.personality } : {}), ...(req.pullRequest ? { pullRequest: true } : {}) } }
      : {}),
    channel: req.channel,
    owner: req.user,
    ...(req.teamId ? { teamId: req.teamId } : {}),
    createdAt: now.toISOString(),
    paused: false,
    failures: 0,
    skipped: 0,
  };
  return { ok: true, automation, next: check.next };
}

function fieldOf(error: ErrorView): AutomationField {
  switch (error.kind) {
    case 'unknown_model':
      return 'model';
    case 'unknown_personality':
      return 'personality';
    case 'not_allowed':
      return error.scope === 'channel' ? 'channel' : 'repo';
    default:
      return 'repo';
  }
}

/** Stores a planned automation and creates its job scheduler, within Redis's deadline; false when Redis did not answer. */
export async function saveAutomation(deps: Pick<SlackDeps, 'automations'>, automation: Automation): Promise<boolean> {
  try {
    await withTimeout(deps.automations.schedule(automation), REDIS_DEADLINE_MS * 1.5, 'redis_timeout', 'scheduling');
    return true;
  } catch {
    return false;
  }
}
