import type { ApprovalPolicy, Config, RepoConfig } from '../config.js';

/*
 * Who may do what. With no access rules, every member of the workspace may use every
 * configured repo in every channel, and a task's owner is its approver (ARCHITECTURE.md).
 */

export type RepoChoice =
  | { ok: true; repo: RepoConfig }
  | { ok: false; reason: 'unknown_repo' | 'choose_repo'; repos: string[]; asked?: string };

/**
 * The repo a task runs on: the flag's, else the person's default (`/codex defaults`), else the
 * channel's, else the only repo. A person's default that is no longer configured is skipped.
 */
export function chooseRepo(config: Config, channel: string, flag?: string, personDefault?: string): RepoChoice {
  const names = config.repos.map((r) => r.name);
  if (flag !== undefined) {
    const repo = config.repos.find((r) => r.name === flag) ?? config.repos.find((r) => r.name.toLowerCase() === flag.toLowerCase());
    return repo ? { ok: true, repo } : { ok: false, reason: 'unknown_repo', repos: names, asked: flag };
  }
  const byPerson = personDefault ? config.repos.find((r) => r.name === personDefault) : undefined;
  if (byPerson) return { ok: true, repo: byPerson };
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

/**
 * A person of another Slack workspace (a shared channel's other side): refused unless the
 * config allows that workspace (`slack.allowedTeams`). Unknown ids are not refused here: the
 * bot's own team is not known until Slack has accepted its token.
 */
export function isForeignTeam(config: Pick<Config, 'file'>, ownTeam: string | undefined, teamId: string | undefined): boolean {
  if (!teamId || !ownTeam || teamId === ownTeam) return false;
  return !config.file.slack.allowedTeams.includes(teamId);
}

/** Approve, deny, stop and cancel: the owner and the configured approvers. */
export function canDecide(repo: RepoConfig | undefined, owner: string, user: string): boolean {
  return user === owner || (repo?.access.approvers.includes(user) ?? false);
}

/**
 * Who may decide a task's approval requests: the owner and the repo's approvers, or only the
 * approvers (never the owner) when the policy says `selfApprove: false`.
 */
export function decidersOf(repo: RepoConfig | undefined, policy: Pick<ApprovalPolicy, 'selfApprove'> | undefined, owner: string): string[] {
  const approvers = repo?.access.approvers ?? [];
  return policy?.selfApprove === false ? approvers.filter((u) => u !== owner) : [...new Set([owner, ...approvers])];
}

/** Approve or deny a request: see decidersOf. */
export function canApprove(repo: RepoConfig | undefined, policy: Pick<ApprovalPolicy, 'selfApprove'> | undefined, owner: string, user: string): boolean {
  return decidersOf(repo, policy, owner).includes(user);
}

/** Steer (reply in the thread): the owner, the approvers and the configured steerers. */
export function canSteer(repo: RepoConfig | undefined, owner: string, user: string): boolean {
  return canDecide(repo, owner, user) || (repo?.access.steerers.includes(user) ?? false);
}

/** Everyone who may steer, for the note telling others who can. */
export function steerersOf(repo: RepoConfig | undefined, owner: string): string[] {
  return [...new Set([owner, ...(repo?.access.approvers ?? []), ...(repo?.access.steerers ?? [])])];
}
