import type { ErrorView } from '../blocks/index.js';
import type { Config, RepoConfig } from '../config.js';
import { canStartTask, chooseRepo } from '../tasks/access.js';
import { chooseSettings, PreferenceStore, type Preferences, type TaskSettings } from '../tasks/preferences.js';
import { withTimeout } from '../util/with-timeout.js';
import { REDIS_DEADLINE_MS, type SlackDeps } from './slack-deps.js';

/** What a new task was asked with: flags of `/codex task|plan` or of a mention. */
export interface TargetFlags {
  repo?: string;
  model?: string;
  personality?: string;
}

/**
 * The repo, model and personality a new task (slash command or mention) runs with, and whether
 * this person may start it in this channel; otherwise the error the person is shown. `prefs`
 * are the person's defaults (`/codex defaults`).
 */
export function taskTarget(config: Config, channel: string, user: string, flags: TargetFlags = {}, prefs: Preferences = {}): ({ ok: true; repo: RepoConfig } & TaskSettings) | { ok: false; error: ErrorView } {
  const choice = chooseRepo(config, channel, flags.repo, prefs.repo);
  if (!choice.ok) {
    return { ok: false, error: choice.reason === 'unknown_repo' ? { kind: 'unknown_repo', repo: choice.asked ?? '', repos: choice.repos } : { kind: 'repo_choice_needed', repos: choice.repos } };
  }
  const settings = chooseSettings(config, channel, prefs, flags);
  if (!settings.ok) {
    return { ok: false, error: settings.reason === 'unknown_model' ? { kind: 'unknown_model', model: settings.asked, models: settings.allowed } : { kind: 'unknown_personality', personality: settings.asked, personalities: settings.allowed } };
  }
  const allowed = canStartTask(choice.repo, user, channel);
  if (!allowed.ok) return { ok: false, error: { kind: 'not_allowed', scope: allowed.reason === 'channel_not_allowed' ? 'channel' : 'user', repo: choice.repo.name } };
  const { ok: _ok, ...chosen } = settings;
  return { ok: true, repo: choice.repo, ...chosen };
}

export type Target = ({ ok: true; repo: RepoConfig } & TaskSettings) | { ok: false; error: ErrorView };

/** The person's defaults store (`/codex defaults`, App Home). */
export function preferencesOf(deps: Pick<SlackDeps, 'redis' | 'prefix'>): PreferenceStore {
  return new PreferenceStore(deps.redis, deps.prefix);
}

/**
 * taskTarget with the person's defaults read from Redis within `deadlineMs`. A flag naming
 * something unknown is refused before Redis is asked; Redis not answering in time is
 * `service_unavailable`, never a task quietly made without the person's defaults.
 */
export async function resolveTarget(deps: SlackDeps, channel: string, user: string, flags: TargetFlags, deadlineMs = REDIS_DEADLINE_MS): Promise<Target> {
  const withoutDefaults = taskTarget(deps.config, channel, user, flags);
  if (!withoutDefaults.ok && ['unknown_repo', 'unknown_model', 'unknown_personality'].includes(withoutDefaults.error.kind)) return withoutDefaults;
  let prefs: Preferences;
  try {
    prefs = await withTimeout(preferencesOf(deps).get(user), deadlineMs, 'redis_timeout', 'reading defaults');
  } catch {
    return { ok: false, error: { kind: 'service_unavailable', service: 'redis' } };
  }
  return taskTarget(deps.config, channel, user, flags, prefs);
}
