import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import type { GitHubAppConfig } from '../config.js';
import { CodexError } from '../errors.js';
import type { Logger } from '../logger.js';
import { redactSecrets } from '../util/redact.js';
import type { CodeHost, GitCredentials, HostedRepo, NewPullRequest, PullRequestInfo, PullRequestRef, ReviewComment } from './code-host.js';

/** An installation token is used until this long before it expires, then a new one is asked for. */
export const TOKEN_REFRESH_BEFORE_MS = 5 * 60_000;

interface CachedToken {
  token: string;
  expiresAt: number;
}

/**
 * GitHub through a GitHub App, with Octokit: the App's JWT (signed with its private key by
 * @octokit/auth-app) finds the repo's installation (`GET /repos/{o}/{r}/installation`) and asks
 * for an installation token (`POST /app/installations/{id}/access_tokens`); every git operation
 * and API call then uses that token. Tokens live in this object's memory only, until
 * TOKEN_REFRESH_BEFORE_MS before they expire: never on disk, in Redis or in a log.
 */
export class GitHubHost implements CodeHost {
  private readonly app: Octokit;
  private readonly installations = new Map<string, number>();
  private readonly tokens = new Map<number, CachedToken>();
  private readonly inflight = new Map<number, Promise<CachedToken>>();

  constructor(
    private readonly config: GitHubAppConfig,
    private readonly logger?: Logger,
  ) {
    this.app = new Octokit({ baseUrl: config.apiUrl, authStrategy: createAppAuth, auth: { appId: Number(config.appId), privateKey: config.privateKey }, log: this.octokitLog() });
  }

  async gitCredentials(repo: HostedRepo): Promise<GitCredentials> {
    return { username: 'x-access-token', password: await this.token(repo) };
  }

  async openPullRequest(repo: HostedRepo, pr: NewPullRequest): Promise<PullRequestRef> {
    const { owner, name } = coords(repo);
    const r = await this.call(repo, 'open a pull request', (o) => o.rest.pulls.create({ owner, repo: name, head: pr.head, base: pr.base, title: pr.title, body: pr.body, draft: pr.draft, maintainer_can_modify: false }));
    return { number: r.data.number, url: r.data.html_url };
  }

  async getPullRequest(repo: HostedRepo, number: number): Promise<PullRequestInfo> {
    const { owner, name } = coords(repo);
    const r = await this.call(repo, `read pull request #${number}`, (o) => o.rest.pulls.get({ owner, repo: name, pull_number: number }));
    return { number: r.data.number, url: r.data.html_url, state: r.data.state === 'open' ? 'open' : 'closed', merged: r.data.merged === true, head: r.data.head.ref, base: r.data.base.ref };
  }

  async comment(repo: HostedRepo, number: number, body: string): Promise<void> {
    const { owner, name } = coords(repo);
    await this.call(repo, `comment on pull request #${number}`, (o) => o.rest.issues.createComment({ owner, repo: name, issue_number: number, body }));
  }

  async submitReview(repo: HostedRepo, number: number, review: { body: string; comments: ReviewComment[]; commitId?: string }): Promise<{ url: string }> {
    const { owner, name } = coords(repo);
    const r = await this.call(repo, `review pull request #${number}`, (o) =>
      o.rest.pulls.createReview({ owner, repo: name, pull_number: number, event: 'COMMENT', body: review.body, commit_id: review.commitId, comments: review.comments.map((c) => ({ path: c.path, line: c.line, side: 'RIGHT', body: c.body })) }),
    );
    return { url: r.data.html_url };
  }

  /** An installation token for `repo`'s installation: the cached one while it has time left, else a new one. */
  private async token(repo: HostedRepo): Promise<string> {
    const { owner, name } = coords(repo);
    const key = `${owner}/${name}`.toLowerCase();
    let id = this.installations.get(key);
    if (id === undefined) {
      const r = await this.appCall(repo, () => this.app.rest.apps.getRepoInstallation({ owner, repo: name }));
      id = r.data.id;
      this.installations.set(key, id);
    }
    const cached = this.tokens.get(id);
    if (cached && cached.expiresAt - Date.now() > TOKEN_REFRESH_BEFORE_MS) return cached.token;
    const installationId = id;
    let pending = this.inflight.get(installationId);
    if (!pending) {
      pending = this.appCall(repo, async () => {
        // refresh: true bypasses @octokit/auth-app's own cache, so this object alone decides when a token is too old.
        const auth = (await this.app.auth({ type: 'installation', installationId, refresh: true })) as { token: string; expiresAt: string };
        return { token: auth.token, expiresAt: Date.parse(auth.expiresAt) };
      }).finally(() => this.inflight.delete(installationId));
      this.inflight.set(installationId, pending);
    }
    try {
      const fresh = await pending;
      this.tokens.set(installationId, fresh);
      return fresh.token;
    } catch (e) {
      // The installation may have been removed (and the App installed again under a new id).
      this.installations.delete(key);
      this.tokens.delete(installationId);
      throw e;
    }
  }

  /** A call authenticated as the App itself (its JWT); failures become sentences about the App. */
  private async appCall<T>(repo: HostedRepo, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const { owner, name } = coords(repo);
      const status = (e as { status?: number }).status;
      if (status === 404) throw new CodexError('codehost_not_installed', `GitHub App ${this.config.appId} is not installed on ${owner}/${name}`, { cause: e, userMessage: `The GitHub App is not installed on ${owner}/${name}: install it on that repository (Settings → GitHub Apps), then try again.` });
      if (status === 401 || status === 403) throw new CodexError('codehost_auth_failed', `GitHub refused the App's JWT (${status}): ${redactSecrets((e as Error).message)}`, { cause: e, userMessage: `GitHub refused the GitHub App's credentials (its private key may have been revoked or replaced): ask whoever runs this bot to set a current key in GITHUB_APP_PRIVATE_KEY, then try again.` });
      throw translate(e, `reach GitHub for ${owner}/${name}`);
    }
  }

  /** A call authenticated with an installation token. */
  private async call<T>(repo: HostedRepo, what: string, fn: (o: Octokit) => Promise<T>): Promise<T> {
    const token = await this.token(repo);
    try {
      return await fn(new Octokit({ baseUrl: this.config.apiUrl, auth: token, log: this.octokitLog() }));
    } catch (e) {
      throw translate(e, what);
    }
  }

  private octokitLog() {
    const quiet = () => undefined;
    const warn = (message: string) => this.logger?.warn({ github: redactSecrets(String(message)) }, 'GitHub client warning');
    return { debug: quiet, info: quiet, warn, error: warn };
  }
}

function coords(repo: HostedRepo): { owner: string; name: string } {
  if (!repo.github) throw new CodexError('internal_error', `repo ${repo.name} is not on GitHub`);
  return repo.github;
}

/** GitHub's error (its status and message, and a 422's first error) as a CodexError with a sentence to act on. */
function translate(e: unknown, what: string): CodexError {
  if (CodexError.isInstance(e)) return e;
  const status = (e as { status?: number }).status;
  const data = (e as { response?: { data?: { message?: string; errors?: Array<{ message?: string; code?: string; field?: string }> } } }).response?.data;
  const detail = redactSecrets([data?.message, ...(data?.errors ?? []).map((x) => x.message ?? [x.field, x.code].filter(Boolean).join(' '))].filter(Boolean).join(': ') || (e as Error).message);
  if (status === undefined) return new CodexError('codehost_unreachable', `could not ${what}: ${redactSecrets((e as Error).message)}`, { cause: e, retryable: true, userMessage: `GitHub could not be reached to ${what}: check the worker's network and GITHUB_API_URL, then try again.` });
  if (status === 401 || status === 403) return new CodexError('codehost_auth_failed', `GitHub refused to ${what} (${status}): ${detail}`, { cause: e, userMessage: `GitHub refused to ${what} (${detail}): check that the GitHub App has contents and pull requests read/write permission on this repository, then try again.` });
  if (status === 422) return new CodexError('pull_request_invalid', `GitHub could not ${what}: ${detail}`, { cause: e, userMessage: `GitHub could not ${what}: ${detail.replace(/\.?$/, '')}; fix that on GitHub, then try again.` });
  return new CodexError('codehost_error', `GitHub could not ${what} (${status}): ${detail}`, { cause: e, retryable: status >= 500, userMessage: `GitHub could not ${what} (${status}: ${detail.replace(/\.?$/, '')}); try again in a minute.` });
}
