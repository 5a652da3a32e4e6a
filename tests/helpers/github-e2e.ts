import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-server.js';
import { startGitHttpServer, type GitHttpServer } from '../fakes/git-http-server.js';
import type { FakeMessage } from '../fakes/slack-server.js';
import { FAKE_IDS, startE2E, type E2E, type E2EOptions } from './e2e.js';

/*
 * The whole product with its repo on "GitHub": the fake GitHub REST API (reached through the
 * real Octokit) as GITHUB_API_URL, and the upstream served by a git smart-HTTP server (git's
 * own http-backend) that wants an installation token on every request. The product's log
 * lines are kept (debug level) so tests can check what they hold.
 */

export interface GitHubE2E extends E2E {
  github: FakeGitHub;
  gitServer: GitHttpServer;
  /** Every log line the product wrote. */
  logs: string[];
}

export async function startGitHubE2E(options: E2EOptions): Promise<GitHubE2E> {
  const github = await startFakeGitHub();
  const gitServer = await startGitHttpServer((token, owner, name) => github.tokenCovers(token, owner, name));
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const e = await startE2E({
    ...options,
    logger: createLogger({ level: 'debug', pretty: false, destination }),
    repo: { github: 'acme/calc', url: `${gitServer.url}/acme/calc.git`, ...options.repo },
    env: { GITHUB_APP_ID: github.appId, GITHUB_APP_PRIVATE_KEY: github.privateKey, GITHUB_API_URL: github.url, ...options.env },
  });
  github.addRepo({ owner: 'acme', name: 'calc', dir: e.upstream });
  gitServer.addRepo('acme', 'calc', e.upstream);
  return {
    ...e,
    github,
    gitServer,
    logs,
    async cleanup() {
      await e.cleanup();
      await github.close();
      await gitServer.close();
    },
  };
}

/** The `n`-th summary (0 first) of a task's thread. */
export function waitSummary(e: E2E, threadTs: string, n: number, timeoutMs = 60_000): Promise<FakeMessage> {
  return e.fake.waitFor(() => e.fake.thread(FAKE_IDS.channel, threadTs).filter((m) => m.metadata?.event_type === 'codex_task_summary')[n], timeoutMs);
}
