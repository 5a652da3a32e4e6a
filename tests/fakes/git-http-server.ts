import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { basename, dirname } from 'node:path';

/*
 * A git smart-HTTP server for tests: git's own `git http-backend` (the CGI program that real
 * git hosting runs) behind a small Node HTTP server. It serves `/<owner>/<name>.git/…` from
 * directories registered with `addRepo`, and, like GitHub for a private repo, answers every
 * request that lacks valid credentials (`Authorization: Basic` with `x-access-token` and a
 * token `authorize` accepts) with 401 and a Basic challenge: fetches and pushes both.
 */

export interface GitRequest {
  method: string;
  path: string;
  /** The credentials sent, if any (the password is the token). */
  user?: string;
  token?: string;
  status: number;
}

export interface GitHttpServer {
  url: string;
  requests: GitRequest[];
  addRepo(owner: string, name: string, dir: string): void;
  close(): Promise<void>;
}

export async function startGitHttpServer(authorize: (token: string, owner: string, name: string) => boolean): Promise<GitHttpServer> {
  const repos = new Map<string, string>();
  const requests: GitRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/([^/]+)\/([^/]+?)\.git(\/.*)$/.exec(url.pathname);
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [user, token] = basic ? Buffer.from(basic[1]!, 'base64').toString().split(/:(.*)/s) : [];
    const record = (status: number) => requests.push({ method: req.method ?? '', path: url.pathname, user, token, status });
    const dir = m ? repos.get(`${m[1]}/${m[2]}`.toLowerCase()) : undefined;
    if (!m || !dir) {
      record(404);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Repository not found.\n');
      return;
    }
    if (user !== 'x-access-token' || !token || !authorize(token, m[1]!, m[2]!)) {
      record(401);
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"', 'content-type': 'text/plain' }).end('Invalid username or token.\n');
      return;
    }
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_PROJECT_ROOT: dirname(dir),
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: `/${basename(dir)}${m[3]}`,
        REQUEST_METHOD: req.method ?? 'GET',
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: user,
        REMOTE_ADDR: '127.0.0.1',
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    req.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    child.stderr.resume();
    let head = Buffer.alloc(0);
    let started = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (started) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') + 4 : head.indexOf('\n\n') >= 0 ? head.indexOf('\n\n') + 2 : -1;
      if (end < 0) return;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString().split(/\r?\n/)) {
        const h = /^([^:]+):\s*(.*)$/.exec(line);
        if (!h) continue;
        if (h[1]!.toLowerCase() === 'status') status = Number(h[2]!.split(' ')[0]);
        else headers[h[1]!] = h[2]!;
      }
      record(status);
      started = true;
      res.writeHead(status, headers);
      res.write(head.subarray(end));
    });
    child.on('close', () => {
      if (!started) {
        record(500);
        res.writeHead(500).end();
      } else res.end();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    addRepo: (owner, name, dir) => void repos.set(`${owner}/${name}`.toLowerCase(), dir),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
