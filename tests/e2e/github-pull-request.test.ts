import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, FIX_PATCH, git } from '../helpers/e2e.js';
import { startGitHubE2E, waitSummary, type GitHubE2E } from '../helpers/github-e2e.js';
import { click, ephemeralsFor, replyInThread, shown, startTask, waitEvent, waitShows, waitStatus } from '../helpers/thread.js';

/*
 * Delivery to GitHub end to end: the summary's "Open pull request" button, `--pr`, follow-ups
 * on an open pull request, and Undo, against the fake GitHub API and a git smart-HTTP server.
 */

let e: GitHubE2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const NOTES = `*** Begin Patch
*** Add File: NOTES.md
+# calc notes
*** End Patch`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    const st = statSync(p, { throwIfNoEntry: false });
    return !st ? [] : st.isDirectory() ? filesUnder(p) : [p];
  });
}

/** No installation token the fake issued appears in the model's requests, Slack, the logs or the data directory. */
function expectNoTokenLeaked(e: GitHubE2E) {
  expect(e.github.issuedTokens.length).toBeGreaterThan(0);
  const model = JSON.stringify(e.model.requests.map((r) => r.body));
  const slack = JSON.stringify(e.fake.calls);
  const logs = e.logs.join('');
  for (const token of e.github.issuedTokens) {
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    for (const [where, text] of [['model', model], ['slack', slack], ['logs', logs]] as const) {
      expect(text.includes(token), where).toBe(false);
      expect(text.includes(basic), where).toBe(false);
    }
    for (const f of filesUnder(e.dataDir)) expect(readFileSync(f).includes(token), f).toBe(false);
  }
}

describe('pull requests on GitHub', () => {
  it('opens one pull request on the owner’s click, refuses a stranger, updates it on a follow-up, and undoes a turn upstream', { timeout: 180_000 }, async () => {
    e = await startGitHubE2E({
      script: [
        reply(functionCall('shell', { command: 'env; cat .git/config; git config --list --show-origin || true' })),
        reply(functionCall('apply_patch', { input: FIX_PATCH })),
        reply(message('Fixed add: it now adds.')),
        reply(functionCall('apply_patch', { input: NOTES })),
        reply(message('Added NOTES.md.')),
      ],
    });
    const { taskId, card } = await startTask(e, 'fix the add function');
    await waitStatus(e, taskId, 'done');
    const summary = await waitSummary(e, card.ts, 0);
    expect(shown(summary)).toContain('Open pull request');
    expect(shown(summary)).toContain('Undo');
    const first = (await e.store.getTask(taskId))!;

    // A stranger's click is refused and opens nothing.
    await click(e, summary, 'codex_open_pr', FAKE_IDS.other);
    await e.fake.waitFor(() => ephemeralsFor(e!, FAKE_IDS.other).find((t) => t.includes('open a pull request')));
    expect(e.github.pulls('acme', 'calc')).toEqual([]);

    await click(e, summary, 'codex_open_pr', FAKE_IDS.owner);
    const opened = await waitEvent(e, taskId, 'pull_request_opened');
    const pulls = e.github.pulls('acme', 'calc');
    expect(pulls).toHaveLength(1);
    const pr = pulls[0]!;
    expect(pr).toMatchObject({ head: first.branch, base: 'main', title: 'fix the add function', html_url: opened.url, draft: false });
    expect(pr.body).toContain('Fixed add: it now adds.');
    expect(pr.body).toContain(taskId);
    expect(pr.body).toContain(`${e.fake.url}/archives/${FAKE_IDS.channel}/p${card.ts.replace('.', '')}`);
    expect(pr.body).toContain('src/math.js');
    expect(git(e.upstream, 'rev-parse', first.branch)).toBe(first.commit);
    await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, card.ts).find((m) => shown(m).includes(opened.url)));
    await waitShows(e, FAKE_IDS.channel, card.ts, opened.url);
    // A second click is told the pull request is open already.
    await click(e, summary, 'codex_open_pr', FAKE_IDS.owner);
    await e.fake.waitFor(() => ephemeralsFor(e!, FAKE_IDS.owner).find((t) => t.includes('already open')));

    // A follow-up pushes to the same branch and comments on the same pull request.
    await replyInThread(e, card.ts, FAKE_IDS.owner, 'also add NOTES.md');
    const updated = await waitEvent(e, taskId, 'pull_request_updated');
    const second = await e.fake.waitFor(async () => {
      const t = await e!.store.getTask(taskId);
      return t?.turn === 2 && t.status === 'done' && t;
    }, 60_000);
    expect(updated.commit).toBe(second.commit);
    expect(e.github.pulls('acme', 'calc')).toHaveLength(1);
    expect(pr.comments).toHaveLength(1);
    expect(pr.comments[0]!.body).toContain('Added NOTES.md.');
    expect(git(e.upstream, 'rev-parse', first.branch)).toBe(second.commit);

    // Undo of turn 2: a stranger is refused; the owner's click moves the branch back, upstream too.
    const summary2 = await waitSummary(e, card.ts, 1);
    expect(shown(summary2)).not.toContain('Open pull request');
    await click(e, summary2, 'codex_undo', FAKE_IDS.other);
    await e.fake.waitFor(() => ephemeralsFor(e!, FAKE_IDS.other).find((t) => t.includes('undo turns')));
    await click(e, summary2, 'codex_undo', FAKE_IDS.owner);
    const reset = await waitEvent(e, taskId, 'branch_reset');
    expect(reset).toMatchObject({ turn: 2, from: second.commit, to: first.commit, pushed: true, by: FAKE_IDS.owner });
    expect(git(e.upstream, 'rev-parse', first.branch)).toBe(first.commit);
    expect(e.mirrorGit('rev-parse', first.branch)).toBe(first.commit);
    await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, card.ts).find((m) => shown(m).includes('undid turn 2')));
    await waitShows(e, FAKE_IDS.channel, card.ts, 'Turn 2 undone');
    const saved = await e.store.load(taskId);
    expect(JSON.stringify(saved?.items.at(-1))).toContain('[Undo]');

    // Every git request carried a token; none reached the sandbox, the model, Slack, logs or disk.
    expect(e.gitServer.requests.length).toBeGreaterThan(0);
    expect(e.gitServer.requests.every((r) => r.status === 200 && r.user === 'x-access-token' && e!.github.issuedTokens.includes(r.token!))).toBe(true);
    expectNoTokenLeaked(e);
  });

  it('refuses Undo with a clear sentence when someone else pushed to the branch meanwhile', { timeout: 120_000 }, async () => {
    e = await startGitHubE2E({ script: [reply(functionCall('apply_patch', { input: FIX_PATCH })), reply(message('Fixed add.'))] });
    const { taskId, card } = await startTask(e, '--pr fix add');
    const opened = await waitEvent(e, taskId, 'pull_request_opened', undefined, 60_000);
    const task = await waitStatus(e, taskId, 'done');
    expect(e.github.pulls('acme', 'calc').map((p) => p.html_url)).toEqual([opened.url]);
    // Someone else pushes a commit of their own onto the task branch upstream.
    const theirs = git(e.upstream, 'commit-tree', `${task.commit}^{tree}`, '-p', task.commit!, '-m', 'their change');
    git(e.upstream, 'update-ref', `refs/heads/${task.branch}`, theirs);
    const summary = await waitSummary(e, card.ts, 0);
    expect(shown(summary)).not.toContain('Open pull request');
    await click(e, summary, 'codex_undo', FAKE_IDS.owner);
    const refused = await waitEvent(e, taskId, 'branch_reset_failed');
    expect(refused.message).toMatch(/someone else pushed/);
    expect(e.mirrorGit('rev-parse', task.branch)).toBe(task.commit);
    expect(git(e.upstream, 'rev-parse', task.branch)).toBe(theirs);
    await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, card.ts).find((m) => shown(m).includes('was not undone')));
  });

  it('opens a draft with --pr, and says so when the pull request was merged before a follow-up', { timeout: 150_000 }, async () => {
    e = await startGitHubE2E({
      script: [reply(functionCall('apply_patch', { input: FIX_PATCH })), reply(message('Fixed add.')), reply(functionCall('apply_patch', { input: NOTES })), reply(message('Notes.'))],
      repo: { draftPullRequests: true },
    });
    const { taskId, card } = await startTask(e, '--pr fix add');
    const opened = await waitEvent(e, taskId, 'pull_request_opened', undefined, 60_000);
    expect(opened.draft).toBe(true);
    const first = await waitStatus(e, taskId, 'done');
    expect(e.github.pulls('acme', 'calc')[0]).toMatchObject({ draft: true, head: first.branch, title: 'fix add' });
    e.github.closePull('acme', 'calc', opened.number, true);
    await replyInThread(e, card.ts, FAKE_IDS.owner, 'add notes');
    const closed = await waitEvent(e, taskId, 'pull_request_closed', undefined, 60_000);
    expect(closed).toMatchObject({ number: opened.number, merged: true });
    await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, card.ts).find((m) => shown(m).includes('was merged meanwhile')));
    expect(e.github.pulls('acme', 'calc')).toHaveLength(1);
    expect(git(e.upstream, 'rev-parse', first.branch)).toBe(first.commit);
  });

  it('says in the thread what to do when the App key was revoked', { timeout: 90_000 }, async () => {
    e = await startGitHubE2E({ script: [reply(message('nothing'))] });
    e.github.revokeAppKey();
    const { taskId, card } = await startTask(e, 'fix add');
    const failed = await waitEvent(e, taskId, 'task_failed', undefined, 60_000);
    expect(failed.code).toBe('codehost_auth_failed');
    await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, card.ts).find((m) => shown(m).includes('GITHUB_APP_PRIVATE_KEY')));
    expect(e.gitServer.requests).toEqual([]);
  });
});
