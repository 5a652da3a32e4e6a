import type { ErrorView } from '../blocks/index.js';
import type { Config, RepoConfig } from '../config.js';
import { canStartTask, chooseRepo } from '../tasks/access.js';

/**
 * The repo a new task (slash command or mention) runs on, and whether this person may start it
 * in this channel; otherwise the error the person is shown.
 */
export function taskTarget(config: Config, channel: string, user: string, repoFlag?: string): { ok: true; repo: RepoConfig } | { ok: false; error: ErrorView } {
  const choice = chooseRepo(config, channel, repoFlag);
  if (!choice.ok) {
    return { ok: false, error: choice.reason === 'unknown_repo' ? { kind: 'unknown_repo', repo: choice.asked ?? '', repos: choice.repos } : { kind: 'repo_choice_needed', repos: choice.repos } };
  }
  const allowed = canStartTask(choice.repo, user, channel);
  if (!allowed.ok) return { ok: false, error: { kind: 'not_allowed', scope: allowed.reason === 'channel_not_allowed' ? 'channel' : 'user', repo: choice.repo.name } };
  return { ok: true, repo: choice.repo };
}
