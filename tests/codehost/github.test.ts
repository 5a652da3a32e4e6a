import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubHost } from '../../src/codehost/github.js';
import { CodexError } from '../../src/errors.js';
import { credentialEnv } from '../../src/runner/git-auth.js';
import { Workspace } from '../../src/runner/workspace.js';
import { redactSecrets } from '../../src/util/redact.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-server.js';
import { startGitHttpServer, type GitHttpServer } from '../fakes/git-http-server.js';
import { git, tempDir } from '../runner/helpers.js';

/*
 * The GitHub App's installation tokens (the fake GitHub API through the real Octokit) and host
 * git using them against a git smart-HTTP server that refuses anything without one.
 */

const REPO = { name: 'calc', github: { owner: 'acme', name: 'calc' } };
let gh: FakeGitHub;
let server: GitHttpServer;
let tmp: { dir: string; cleanup: () => void };
let upstream: string;

beforeEach(async () => {
  gh = await startFakeGitHub();
  server = await startGitHttpServer((token, o, n) => gh.tokenCovers(token, o, n));
  tmp = tempDir('codex-gh');
  upstream = join(tmp.dir, 'calc.git');
  git(tmp.dir, 'init', '-q', '--bare', '-b', 'main', upstream);
  const work = join(tmp.dir, 'work');
  git(tmp.dir, 'init', '-q', '-b', 'main', work);
  writeFileSync(join(work, 'README.md'), '# calc\n');
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'init');
  git(work, 'push', '-q', upstream, 'main');
  gh.addRepo({ owner: 'acme', name: 'calc', dir: upstream });
  server.addRepo('acme', 'calc', upstream);
});

afterEach(async () => {
  await gh.close();
  await server.close();
  tmp.cleanup();
});

const host = () => new GitHubHost({ appId: gh.appId, privateKey: gh.privateKey, apiUrl: gh.url });

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('GitHub App installation tokens', () => {
  it('signs a JWT, finds the installation, and reuses the token while it has time left', async () => {
    const h = host();
    const a = await h.gitCredentials(REPO);
    const b = await h.gitCredentials(REPO);
    expect(a).toEqual({ username: 'x-access-token', password: gh.issuedTokens[0] });
    expect(b.password).toBe(a.password);
    expect(gh.issuedTokens).toHaveLength(1);
    const paths = gh.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(paths).toEqual(['GET /repos/acme/calc/installation 200', `POST /app/installations/7100001/access_tokens 201`]);
    expect(gh.requests[0]!.headers.authorization).toMatch(/^bearer eyJ/i);
  });

  it('asks for a new token once the cached one is within minutes of expiring', async () => {
    await gh.close();
    gh = await startFakeGitHub({ tokenTtlMs: 4 * 60_000 });
    gh.addRepo({ owner: 'acme', name: 'calc', dir: upstream });
    const h = host();
    const a = await h.gitCredentials(REPO);
    const b = await h.gitCredentials(REPO);
    expect(a.password).not.toBe(b.password);
    expect(gh.issuedTokens).toEqual([a.password, b.password]);
  });

  it('never lets a token or the Basic header that carries it through redaction', async () => {
    const { password } = await host().gitCredentials(REPO);
    expect(redactSecrets(`token ${password} here`)).toBe('token [redacted] here');
    const header = credentialEnv({ username: 'x-access-token', password }).GIT_CONFIG_VALUE_0!;
    expect(redactSecrets(`http.extraHeader=${header}`)).not.toContain(header.split(' ').at(-1));
  });

  it('says what to do when the App key was revoked or the App is not installed', async () => {
    const missing = await host().gitCredentials({ name: 'x', github: { owner: 'acme', name: 'other' } }).catch((e: unknown) => e);
    expect((missing as CodexError).code).toBe('codehost_not_installed');
    expect((missing as CodexError).userMessage).toMatch(/^The GitHub App is not installed on acme\/other: install it/);
    gh.revokeAppKey();
    const revoked = await host().gitCredentials(REPO).catch((e: unknown) => e);
    expect(CodexError.isInstance(revoked) && revoked.code).toBe('codehost_auth_failed');
    expect((revoked as CodexError).userMessage).toMatch(/GITHUB_APP_PRIVATE_KEY/);
  });

  it('opens a pull request with the token and maps GitHub 422s to a sentence', async () => {
    const h = host();
    const dup = await h.openPullRequest(REPO, { head: 'main', base: 'main', title: 't', body: 'b', draft: false }).catch((e: unknown) => e);
    expect((dup as CodexError).code).toBe('pull_request_invalid');
    expect((dup as CodexError).userMessage).toMatch(/No commits between main and main/);
    expect(gh.requests.at(-1)!.headers.authorization).toBe(`token ${gh.issuedTokens[0]}`);
  });
});

describe('host git with installation tokens', () => {
  it('fetches and pushes over smart HTTP with the token in that git process only, nowhere on disk', async () => {
    const h = host();
    const dataDir = join(tmp.dir, 'data');
    const ws = new Workspace({ dataDir, gitAuth: async () => h.gitCredentials(REPO) });
    const repo = { name: 'calc', url: `${server.url}/acme/calc.git`, baseBranch: 'main' };
    const checkout = await ws.createCheckout({ repo, taskId: 'abcd1234', prompt: 'add notes' });
    writeFileSync(join(checkout.dir, 'NOTES.md'), 'notes\n');
    const result = await ws.finishCheckout(checkout, { message: 'notes' });
    expect(result.committed).toBe(true);
    await ws.pushBranch(repo, checkout.branch, repo.url);
    expect(git(upstream, 'rev-parse', checkout.branch)).toBe(result.commitSha);

    const token = gh.issuedTokens[0]!;
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests.every((r) => r.token === token && r.status === 200)).toBe(true);
    // Neither the mirror's config nor any file of the data directory holds it.
    for (const f of filesUnder(dataDir)) expect(readFileSync(f).includes(token), f).toBe(false);
    expect(readFileSync(join(dataDir, 'mirrors', 'calc.git', 'config'), 'utf8')).not.toMatch(/extraheader|x-access-token/i);
  });

  it('is refused by the server without a token', async () => {
    const ws = new Workspace({ dataDir: join(tmp.dir, 'data2') });
    const repo = { name: 'calc', url: `${server.url}/acme/calc.git`, baseBranch: 'main' };
    await expect(ws.createCheckout({ repo, taskId: 'abcd1235', prompt: 'x' })).rejects.toMatchObject({ code: 'repo_fetch_failed' });
    expect(server.requests.map((r) => r.status)).toContain(401);
  });
});
