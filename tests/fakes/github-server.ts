import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/*
 * A local GitHub REST API for tests, reached through the real Octokit (@octokit/rest with
 * @octokit/auth-app). Strict where GitHub is: App endpoints take only a JWT signed RS256 with
 * the App's registered key (checked with its public key: issuer, iat, exp at most 10 minutes
 * ahead); everything else only a live installation token of an installation that covers the
 * repo; 401/404/422 bodies shaped like GitHub's (`message`, `documentation_url`, `errors`).
 * Pull requests check their head and base against the real git repository behind the fake
 * (the one the git smart-HTTP server serves). Every request is recorded.
 */

const DOCS = 'https://docs.github.com/rest';

export interface FakeRepo {
  owner: string;
  name: string;
  /** The git repository on disk (bare or not). */
  dir: string;
}

export interface FakePull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  headSha: string;
  draft: boolean;
  state: 'open' | 'closed';
  merged: boolean;
  html_url: string;
  comments: Array<{ id: number; body: string }>;
  reviews: Array<{ id: number; event: string; state: string; body: string; commit_id: string; comments: Array<{ path: string; line: number; body: string }> }>;
}

export interface GitHubRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  status: number;
  at: number;
}

export interface FakeGitHub {
  url: string;
  appId: string;
  /** The App's private key (PEM), as GITHUB_APP_PRIVATE_KEY. */
  privateKey: string;
  requests: GitHubRequest[];
  /** Every installation token issued, in order. */
  issuedTokens: string[];
  pulls(owner: string, name: string): FakePull[];
  addRepo(repo: FakeRepo): void;
  /** True when `token` is a live installation token that covers owner/name (for the git server). */
  tokenCovers(token: string, owner: string, name: string): boolean;
  /** The App's key pair is replaced on GitHub (the old private key is revoked). */
  revokeAppKey(): void;
  /** Every installation token issued so far stops working. */
  revokeTokens(): void;
  closePull(owner: string, name: string, number: number, merged?: boolean): void;
  /** A pull request someone opened on GitHub (no API call recorded). */
  createPull(owner: string, name: string, pull: { head: string; base: string; title: string }): FakePull;
  close(): Promise<void>;
}

interface Token {
  token: string;
  installationId: number;
  expiresAt: number;
  revoked: boolean;
}

export async function startFakeGitHub(options: { appId?: string; tokenTtlMs?: number; installationId?: number } = {}): Promise<FakeGitHub> {
  const appId = options.appId ?? '424242';
  const installationId = options.installationId ?? 7_100_001;
  let keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKey = keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  let publicKey: KeyObject = keys.publicKey;
  const repos = new Map<string, FakeRepo>();
  const pulls = new Map<string, FakePull[]>();
  const tokens = new Map<string, Token>();
  const requests: GitHubRequest[] = [];
  const issuedTokens: string[] = [];
  let nextId = 1;

  const repoKey = (o: string, n: string) => `${o}/${n}`.toLowerCase();
  const git = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } }).trim();
  const sha = (dir: string, ref: string) => {
    try {
      return git(dir, 'rev-parse', '--verify', '--quiet', `refs/heads/${ref}^{commit}`);
    } catch {
      return undefined;
    }
  };

  function verifyJwt(header: string | undefined): boolean {
    const m = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/i.exec(header ?? '');
    if (!m) return false;
    try {
      const head = JSON.parse(Buffer.from(m[1]!, 'base64url').toString());
      const claims = JSON.parse(Buffer.from(m[2]!, 'base64url').toString());
      if (head.alg !== 'RS256') return false;
      if (!verify('RSA-SHA256', Buffer.from(`${m[1]}.${m[2]}`), publicKey, Buffer.from(m[3]!, 'base64url'))) return false;
      const now = Math.floor(Date.now() / 1000);
      if (String(claims.iss) !== appId || typeof claims.iat !== 'number' || typeof claims.exp !== 'number') return false;
      return claims.iat <= now + 60 && claims.exp > now && claims.exp - claims.iat <= 660;
    } catch {
      return false;
    }
  }

  function liveToken(header: string | undefined): Token | undefined {
    const m = /^(?:token|Bearer) (ghs_[A-Za-z0-9]{36})$/i.exec(header ?? '');
    const t = m ? tokens.get(m[1]!) : undefined;
    return t && !t.revoked && t.expiresAt > Date.now() ? t : undefined;
  }

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      let body: any;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        return send(req, res, undefined, 400, { message: 'Problems parsing JSON', documentation_url: DOCS });
      }
      handle(req, res, body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function send(req: IncomingMessage, res: ServerResponse, body: any, status: number, payload: unknown) {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers }, body, status, at: Date.now() });
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3; format=json' });
    res.end(JSON.stringify(payload));
  }

  function pullJson(repo: FakeRepo, p: FakePull) {
    return {
      url: `${address()}/repos/${repo.owner}/${repo.name}/pulls/${p.number}`,
      id: p.number * 1000,
      number: p.number,
      html_url: p.html_url,
      state: p.state,
      title: p.title,
      body: p.body,
      draft: p.draft,
      merged: p.merged,
      head: { ref: p.head, sha: p.headSha, label: `${repo.owner}:${p.head}` },
      base: { ref: p.base, label: `${repo.owner}:${p.base}` },
    };
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: any) {
    const reply = (status: number, payload: unknown) => send(req, res, body, status, payload);
    const notFound = () => reply(404, { message: 'Not Found', documentation_url: DOCS });
    const invalid = (errors: unknown[], message = 'Validation Failed') => reply(422, { message, errors, documentation_url: DOCS, status: '422' });
    if (!req.headers['user-agent']) return reply(403, { message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.', documentation_url: DOCS });
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    let m: RegExpExecArray | null;

    // App (JWT) endpoints.
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(path)) && method === 'GET') {
      if (!verifyJwt(req.headers.authorization)) return reply(401, { message: 'A JSON web token could not be decoded', documentation_url: DOCS });
      const repo = repos.get(repoKey(m[1]!, m[2]!));
      if (!repo) return notFound();
      return reply(200, { id: installationId, app_id: Number(appId), account: { login: repo.owner }, target_type: 'Organization', permissions: { contents: 'write', pull_requests: 'write', metadata: 'read' } });
    }
    if ((m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path)) && method === 'POST') {
      if (!verifyJwt(req.headers.authorization)) return reply(401, { message: 'A JSON web token could not be decoded', documentation_url: DOCS });
      if (Number(m[1]) !== installationId) return notFound();
      const token = `ghs_${randomBytes(27).toString('base64').replace(/[^A-Za-z0-9]/g, '').padEnd(36, 'x').slice(0, 36)}`;
      const expiresAt = Date.now() + (options.tokenTtlMs ?? 3_600_000);
      tokens.set(token, { token, installationId, expiresAt, revoked: false });
      issuedTokens.push(token);
      return reply(201, { token, expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'), permissions: { contents: 'write', pull_requests: 'write', metadata: 'read' }, repository_selection: 'all' });
    }

    // Installation-token endpoints.
    if (!liveToken(req.headers.authorization)) return reply(401, { message: 'Bad credentials', documentation_url: DOCS });
    if (!(m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)$/.exec(path))) return notFound();
    const repo = repos.get(repoKey(m[1]!, m[2]!));
    if (!repo) return notFound();
    const list = pulls.get(repoKey(repo.owner, repo.name))!;
    const rest = m[3]!;
    const pull = (n: string) => list.find((p) => p.number === Number(n));

    if (rest === '/pulls' && method === 'POST') {
      for (const field of ['title', 'head', 'base'] as const) if (typeof body?.[field] !== 'string' || !body[field]) return invalid([{ resource: 'PullRequest', field, code: 'missing_field' }]);
      const head = String(body.head).replace(new RegExp(`^${repo.owner}:`, 'i'), '');
      const headSha = sha(repo.dir, head);
      const baseSha = sha(repo.dir, body.base);
      if (!headSha) return invalid([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
      if (!baseSha) return invalid([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      if (list.some((p) => p.head === head && p.state === 'open')) return invalid([{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${repo.owner}:${head}.` }]);
      if (git(repo.dir, 'rev-list', '--count', `${baseSha}..${headSha}`) === '0') return invalid([{ resource: 'PullRequest', code: 'custom', message: `No commits between ${body.base} and ${head}` }]);
      const number = nextId++;
      const p: FakePull = { number, title: body.title, body: body.body ?? '', head, base: body.base, headSha, draft: body.draft === true, state: 'open', merged: false, html_url: `https://github.example/${repo.owner}/${repo.name}/pull/${number}`, comments: [], reviews: [] };
      list.push(p);
      return reply(201, pullJson(repo, p));
    }
    if ((m = /^\/pulls\/(\d+)$/.exec(rest)) && method === 'GET') {
      const p = pull(m[1]!);
      if (!p) return notFound();
      p.headSha = sha(repo.dir, p.head) ?? p.headSha;
      return reply(200, pullJson(repo, p));
    }
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest)) && method === 'POST') {
      const p = pull(m[1]!);
      if (!p) return notFound();
      if (typeof body?.body !== 'string' || !body.body) return invalid([{ resource: 'IssueComment', field: 'body', code: 'missing_field' }]);
      const c = { id: nextId++, body: body.body };
      p.comments.push(c);
      return reply(201, { id: c.id, body: c.body, html_url: `${p.html_url}#issuecomment-${c.id}` });
    }
    if ((m = /^\/pulls\/(\d+)\/reviews$/.exec(rest)) && method === 'POST') {
      const p = pull(m[1]!);
      if (!p) return notFound();
      const event = body?.event ?? 'PENDING';
      if (!['APPROVE', 'REQUEST_CHANGES', 'COMMENT', 'PENDING'].includes(event)) return invalid([{ resource: 'PullRequestReview', field: 'event', code: 'invalid' }]);
      if ((event === 'REQUEST_CHANGES' || event === 'COMMENT') && !body?.body) return invalid([], `Review Can not ${event === 'COMMENT' ? 'comment' : 'request changes'} without a body`);
      const comments = (body?.comments ?? []) as Array<{ path: string; line: number; body: string; side?: string }>;
      const headSha = sha(repo.dir, p.head) ?? p.headSha;
      for (const c of comments) {
        if (!inDiff(repo.dir, p.base, headSha, c.path, c.line)) return invalid(['Pull request review thread line must be part of the diff'], 'Unprocessable Entity');
      }
      const r = { id: nextId++, event, state: event === 'PENDING' ? 'PENDING' : event === 'COMMENT' ? 'COMMENTED' : event === 'APPROVE' ? 'APPROVED' : 'CHANGES_REQUESTED', body: body?.body ?? '', commit_id: body?.commit_id ?? headSha, comments: comments.map(({ path, line, body }) => ({ path, line, body })) };
      p.reviews.push(r);
      return reply(200, { id: r.id, state: r.state, body: r.body, commit_id: r.commit_id, html_url: `${p.html_url}#pullrequestreview-${r.id}` });
    }
    return notFound();
  }

  /** True when `line` of `path` (new side) is in a hunk of the pull request's diff. */
  function inDiff(dir: string, base: string, headSha: string, path: string, line: number): boolean {
    const baseSha = sha(dir, base);
    if (!baseSha) return false;
    const diff = git(dir, 'diff', '--unified=3', `${git(dir, 'merge-base', baseSha, headSha)}`, headSha, '--', path);
    for (const h of diff.matchAll(/^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/gm)) {
      const start = Number(h[1]);
      const count = h[2] === undefined ? 1 : Number(h[2]);
      if (line >= start && line < start + count) return true;
    }
    return false;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: address(),
    appId,
    privateKey,
    requests,
    issuedTokens,
    pulls: (o, n) => pulls.get(repoKey(o, n)) ?? [],
    addRepo(repo) {
      repos.set(repoKey(repo.owner, repo.name), repo);
      pulls.set(repoKey(repo.owner, repo.name), []);
    },
    tokenCovers(token, o, n) {
      const t = tokens.get(token);
      return t !== undefined && !t.revoked && t.expiresAt > Date.now() && t.installationId === installationId && repos.has(repoKey(o, n));
    },
    revokeAppKey() {
      keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
      publicKey = keys.publicKey;
    },
    revokeTokens() {
      for (const t of tokens.values()) t.revoked = true;
    },
    createPull(o, n, pull) {
      const repo = repos.get(repoKey(o, n))!;
      const number = nextId++;
      const p: FakePull = { ...pull, number, body: '', headSha: sha(repo.dir, pull.head)!, draft: false, state: 'open', merged: false, html_url: `https://github.example/${repo.owner}/${repo.name}/pull/${number}`, comments: [], reviews: [] };
      pulls.get(repoKey(o, n))!.push(p);
      return p;
    },
    closePull(o, n, number, merged = false) {
      const p = pulls.get(repoKey(o, n))?.find((x) => x.number === number);
      if (p) Object.assign(p, { state: 'closed', merged });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
