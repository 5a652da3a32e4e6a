import type { Config, RepoConfig } from '../config.js';

/*
 * Who may do what. With no access rules, every member of the workspace may use every
 * configured repo in every channel, and a task's owner is its approver (ARCHITECTURE.md).
 */

export type RepoChoice =
  | { ok: true; repo: RepoConfig }
  | { ok: false; reason: 'unknown_repo' | 'choose_repo'; repos: string[]; asked?: string };

/** The repo a task runs on: the flag's, else the channel's default, else the only repo. */
export function chooseRepo(config: Config, channel: string, flag?: string): RepoChoice {
  const names = config.repos.map((r) => r.name);
  if (flag !== undefined) {
    const repo = config.repos.find((r) => r.name === flag) ?? config.repos.find((r) => r.name.toLowerCase() === flag.toLowerCase());
    return repo ? { ok: true, repo } : { ok: false, reason: 'unknown_repo', repos: names, asked: flag };
  }
  const channelDefault = config.file.channels[channel]?.defaultRepo;
  const byChannel = channelDefault ? config.repos.find((r) => r.name === channelDefault) : undefined;
  if (byChannel) return { ok: true, repo: byChannel };
  if (config.repos.length === 1) return { ok: true, repo: config.repos[0]! };
  return { ok: false, reason: 'choose_repo', repos: names };
}

export type StartCheck = { ok: true } | { ok: false; reason: 'channel_not_allowed' | 'user_not_allowed' };

export function canStartTask(repo: RepoConfig, user: string, channel: string): StartCheck {
  if (repo.access.channels && !repo.access.channels.includes(channel)) return { ok: false, reason: 'channel_not_allowed' };
  if (repo.access.users && !repo.access.users.includes(user) && !repo.access.approvers.includes(user)) return { ok: false, reason: 'user_not_allowed' };
  return { ok: true };
}

/** Approve, deny, stop and cancel: the owner and the configured approvers. */
export function canDecide(repo: RepoConfig | undefined, owner: string, user: string): boolean {
  return user === owner || (repo?.access.approvers.includes(user) ?? false);
}

/** Steer (reply in the thread): the owner, the approvers and the configured steerers. */
export function canSteer(repo: RepoConfig | undefined, owner: string, user: string): boolean {
  return canDecide(repo, owner, user) || (repo?.access.steerers.includes(user) ?? false);
}

/** Everyone who may steer, for the note telling others who can. */
export function steerersOf(repo: RepoConfig | undefined, owner: string): string[] {
  return [...new Set([owner, ...(repo?.access.approvers ?? []), ...(repo?.access.steerers ?? [])])];
}
