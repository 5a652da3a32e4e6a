import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { CodeHost, CodeHostFor } from './code-host.js';
import { GitHubHost } from './github.js';

export type { CodeHost, CodeHostFor, GitCredentials, HostedRepo, NewPullRequest, PullRequestInfo, PullRequestRef, ReviewComment } from './code-host.js';
export { GitHubHost, TOKEN_REFRESH_BEFORE_MS } from './github.js';

/** The code hosts of an installation: GitHub (when the App is configured) for repos with `github` set. */
export function createCodeHosts(config: Config, logger?: Logger): CodeHostFor {
  const github: CodeHost | undefined = config.github ? new GitHubHost(config.github, logger) : undefined;
  return (repo) => (repo.github ? github : undefined);
}
