import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, FIX_PATCH, git, startE2E, type E2E } from '../helpers/e2e.js';
import { click, ephemeralsFor, replyInThread, shown, startTask, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * Pushing the task branch upstream at the end of a turn (repo `pushBranches`), with the
 * worker's credentials, asking first when the approval policy's `push` is on.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const fixScript = () => [reply(functionCall('apply_patch', { input: FIX_PATCH })), reply(message('Fixed add.'))];

describe('pushing the task branch', () => {
  it('asks in the thread, refuses other people, and pushes once the owner approves', { timeout: 90_000 }, async () => {
    e = await startE2E({
      script: fixScript(),
      repo: { pushBranches: true },
      repoConfig: { approval: { mode: 'never', network: false, push: true, timeoutMinutes: 5 } },
    });
    const { taskId, card } = await startTask(e, 'fix add and push it');
    const prompt = await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, card.ts).find((m) => m.metadata?.event_type === 'codex_task_approval'), 60_000);
    const task = (await e.store.getTask(taskId))!;
    expect(shown(prompt)).toContain(task.branch);
    // Not pushed before the decision; a stranger's click changes nothing.
    expect(() => git(e!.upstream, 'rev-parse', '--verify', task.branch)).toThrow();
    await click(e, prompt, 'codex_approve', FAKE_IDS.other);
    await e.fake.waitFor(() => ephemeralsFor(e!, FAKE_IDS.other).length > 0);
    expect(() => git(e!.upstream, 'rev-parse', '--verify', task.branch)).toThrow();

    await click(e, prompt, 'codex_approve', FAKE_IDS.owner);
    const pushed = await waitEvent(e, taskId, 'branch_pushed');
    expect(pushed.ok).toBe(true);
    await waitStatus(e, taskId, 'done');
    expect(git(e.upstream, 'rev-parse', task.branch)).toBe(e.mirrorGit('rev-parse', task.branch));
    expect(git(e.upstream, 'show', `${task.branch}:src/math.js`)).toContain('a + b');
    await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, card.ts).find((m) => shown(m).includes('Pushed')), 20_000);
  });

  it('pushes without asking when pushes need no approval', { timeout: 90_000 }, async () => {
    e = await startE2E({ script: fixScript(), repo: { pushBranches: true } });
    const { taskId } = await startTask(e, 'fix add quietly');
    const pushed = await waitEvent(e, taskId, 'branch_pushed');
    expect(pushed.ok).toBe(true);
    const task = await waitStatus(e, taskId, 'done');
    expect(git(e.upstream, 'rev-parse', task.branch)).toBe(task.commit);
    expect((await e.store.readEvents(taskId)).some((ev) => ev.type === 'approval_requested')).toBe(false);
  });

  it('says in the thread when the push fails, and the task still ends with its branch on the worker', { timeout: 90_000 }, async () => {
    e = await startE2E({ script: fixScript(), repo: { pushBranches: true, pushUrl: '/nonexistent/upstream.git' } });
    const { taskId, card } = await startTask(e, 'fix add and fail to push');
    const pushed = await waitEvent(e, taskId, 'branch_pushed');
    expect(pushed.ok).toBe(false);
    expect(pushed.error).toMatch(/Pushing .* failed/);
    const task = await waitStatus(e, taskId, 'done');
    expect(e.mirrorGit('rev-parse', task.branch)).toBe(task.commit);
    await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, card.ts).find((m) => shown(m).includes('Could not push')), 20_000);
  });

  it('lets a follow-up continue a pushed branch on a worker whose mirror does not have it', { timeout: 120_000 }, async () => {
    e = await startE2E({
      script: [...fixScript(), reply(functionCall('shell', { command: 'echo "# calc" > NOTES.md' })), reply(message('Added notes.'))],
      repo: { pushBranches: true },
    });
    const { taskId, card } = await startTask(e, 'fix add, then more');
    const first = await waitStatus(e, taskId, 'done');
    await waitEvent(e, taskId, 'branch_pushed');
    // Another worker host: its mirror never saw this branch.
    e.mirrorGit('update-ref', '-d', `refs/heads/${first.branch}`);
    await replyInThread(e, card.ts, FAKE_IDS.owner, 'also add a NOTES.md');
    await e.fake.waitFor(async () => {
      const t = await e!.store.getTask(taskId);
      return t?.turn === 2 && t.status === 'done' && t;
    }, 60_000);
    const tip = e.mirrorGit('rev-parse', first.branch);
    expect(e.mirrorGit('rev-parse', `${tip}^`)).toBe(first.commit);
    expect(git(e.upstream, 'rev-parse', first.branch)).toBe(tip);
    expect(git(e.upstream, 'show', `${first.branch}:src/math.js`)).toContain('a + b');
  });
});
