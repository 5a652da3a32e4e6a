import { GitHubHost } from '../src/codehost/github.js';
import { functionCall, message, reply } from '../tests/fakes/model-server.js';
import { FAKE_IDS, git } from '../tests/helpers/e2e.js';
import { startGitHubE2E, waitSummary } from '../tests/helpers/github-e2e.js';
import { click, startTask, waitStatus } from '../tests/helpers/thread.js';
import { median } from './stats.js';

/*
 * From a click on "Open pull request" to the pull request's link in the thread: the whole
 * product (fake Slack, scripted model, real Redis, Docker and git) against the fake GitHub API
 * and a git smart-HTTP server. Each run is a task that changed one file. The baseline is the
 * fake API's own round trip for the same pull request: a fresh App client signs its JWT, gets
 * an installation token and opens a pull request for a branch that is already pushed.
 */

export interface PullRequestLatencyResult {
  oursMs: number;
  apiMs: number;
  runs: number;
}

export async function benchPullRequest(runs: number): Promise<PullRequestLatencyResult> {
  const patch = (i: number) => `*** Begin Patch\n*** Add File: bench-${i}.txt\n+run ${i}\n*** End Patch`;
  const script = Array.from({ length: runs }, (_, i) => [reply(functionCall('apply_patch', { input: patch(i) })), reply(message(`Added bench-${i}.txt.`))]).flat();
  const e = await startGitHubE2E({ script, repoConfig: { approval: { mode: 'never', network: false, push: false } } });
  const ours: number[] = [];
  const api: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const { taskId, card } = await startTask(e, `bench pull request ${i}`);
      await waitStatus(e, taskId, 'done', 120_000);
      const summary = await waitSummary(e, card.ts, 0);
      const clickedAt = Date.now();
      await click(e, summary, 'codex_open_pr', FAKE_IDS.owner);
      const pr = await e.fake.waitFor(() => e.github.pulls('acme', 'calc').find((p) => p.title === `bench pull request ${i}`), 60_000);
      const posted = await e.fake.waitFor(() => e.fake.calls.find((c) => c.method === 'chat.postMessage' && c.args.thread_ts === card.ts && String(c.args.text ?? '').includes(pr.html_url)), 60_000);
      ours.push(posted.at - clickedAt);

      // The baseline: the same API calls straight from a fresh client, for a branch already upstream.
      const branch = `bench/api-${i}`;
      const task = (await e.store.getTask(taskId))!;
      git(e.upstream, 'branch', '-f', branch, task.commit!);
      const host = new GitHubHost({ appId: e.github.appId, privateKey: e.github.privateKey, apiUrl: e.github.url });
      const repo = { name: 'calc', github: { owner: 'acme', name: 'calc' } };
      const started = performance.now();
      await host.gitCredentials(repo);
      await host.openPullRequest(repo, { head: branch, base: 'main', title: `api ${i}`, body: 'bench', draft: false });
      api.push(performance.now() - started);
    }
  } finally {
    await e.cleanup();
  }
  return { oursMs: median(ours), apiMs: median(api), runs };
}
