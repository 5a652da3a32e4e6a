import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply } from '../fakes/model-server.js';
import { FIX_PATCH, FAKE_IDS, containersOf, startE2E, type E2E } from '../helpers/e2e.js';
import { reactions, replyInThread, startTask, userText, versions, waitShows, waitStatus } from '../helpers/thread.js';

/*
 * Follow-ups end to end: once a task has ended, a reply in its thread starts the next turn of
 * the same task, on the same branch, with the conversation so far, in a fresh sandbox; the
 * card shows the new turn and the branch gets a second commit on the first.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, owner } = FAKE_IDS;

const README_PATCH = `*** Begin Patch
*** Add File: README.md
+# calc
+
+\`add(a, b)\` adds.
*** End Patch`;

describe('follow-up turns', () => {
  it('a reply after the task ended runs turn 2 on the same branch with the earlier conversation, in a fresh sandbox', { timeout: 90_000 }, async () => {
    e = await startE2E({
      script: [
        reply(functionCall('apply_patch', { input: FIX_PATCH }), functionCall('shell', { command: 'echo turn-one > /tmp/marker && echo marked' })),
        reply(message('Fixed `add`.')),
        (req) => {
          const said = userText(req);
          if (!said.includes('fix the add function')) throw new Error('the first prompt is not in the follow-up request');
          if (!said.includes('also add a README')) throw new Error('the follow-up is not in the request');
          return reply(functionCall('shell', { command: 'if test -e /tmp/marker; then echo stale-sandbox; else echo fresh-sandbox; fi; cat src/math.js' }));
        },
        reply(functionCall('apply_patch', { input: README_PATCH })),
        reply(message('Added a README.')),
      ],
    });
    const { taskId, card } = await startTask(e, 'fix the add function');
    const first = await waitStatus(e, taskId, 'done', 40_000);
    await e.fake.waitFor(() => e!.fake.thread(channel, card.ts).some((m) => m.metadata?.event_type === 'codex_task_summary'), 20_000);
    await waitShows(e, channel, card.ts, 'Done');
    expect(first.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(e.mirrorGit('rev-parse', first.branch)).toBe(first.commit);

    // The reply after the end: 👀, and the card shows turn 2.
    const followUp = await replyInThread(e, card.ts, owner, 'also add a README');
    await e.fake.waitFor(() => reactions(e!, channel, followUp.ts).includes('eyes'), 15_000);
    await waitShows(e, channel, card.ts, 'turn 2');
    const second = await e.fake.waitFor(async () => {
      const t = await e!.store.getTask(taskId);
      return t?.turn === 2 && t.status === 'done' && t;
    }, 40_000);
    await waitShows(e, channel, card.ts, /Done.*turn 2/);
    // The card went back to Queued for turn 2, then on to its end (states in between may be coalesced).
    const shownStates = versions(e, channel, card.ts);
    const queued2 = shownStates.findIndex((v) => /Queued\* · task `\w+` · turn 2/.test(v));
    expect(queued2).toBeGreaterThan(shownStates.findIndex((v) => v.includes('Done')));
    expect(shownStates.findLastIndex((v) => /Done\* · task `\w+` · turn 2/.test(v))).toBeGreaterThan(queued2);
    expect(current(card.ts)).toContain('also add a README');

    // The follow-up request held the whole earlier conversation: the first prompt, the model's
    // own earlier answer, the earlier tool output, then the follow-up.
    const req = e.model.requests[2]!;
    const input = JSON.stringify(req.body.input);
    expect(input).toContain('Fixed `add`.');
    expect(input).toContain('marked');
    const said = userText(req);
    expect(said.indexOf('fix the add function')).toBeLessThan(said.indexOf('also add a README'));
    // A fresh sandbox (turn 1's /tmp is gone) on the same checkout state (turn 1's fix is there).
    expect(lastToolOutput(e.model.requests[3]!)).toContain('fresh-sandbox');
    expect(lastToolOutput(e.model.requests[3]!)).toContain('return a + b;');

    // Same branch, one more commit on top of the first.
    expect(second.branch).toBe(first.branch);
    expect(e.mirrorGit('rev-parse', `${second.branch}~1`)).toBe(first.commit);
    expect(e.mirrorGit('rev-list', '--count', `origin/main..${second.branch}`)).toBe('2');
    expect(e.mirrorGit('show', `${second.branch}:README.md`)).toContain('adds.');
    expect(e.mirrorGit('log', '-1', '--format=%s%n%b', second.branch)).toMatch(/also add a README[\s\S]*turn 2/);
    expect(await containersOf(taskId)).toEqual([]);
    // Still one task for the thread.
    expect(await e.store.taskForThread(channel, card.ts)).toBe(taskId);

    function current(ts: string) {
      return versions(e!, channel, ts).at(-1)!;
    }
  });
  it('two replies racing after the end start one turn: one is its prompt, the other steers it', { timeout: 60_000 }, async () => {
    e = await startE2E({
      script: [reply(message('First turn done.')), reply(functionCall('shell', { command: 'true' })), reply(message('Second turn done.'))],
      repoConfig: { access: { approvers: [FAKE_IDS.approver] } },
    });
    const { taskId, card } = await startTask(e, 'fix the add function');
    await waitStatus(e, taskId, 'done', 40_000);
    await waitShows(e, channel, card.ts, 'Done');

    const [r1, r2] = await Promise.all([replyInThread(e, card.ts, owner, 'RACE-ONE add a README'), replyInThread(e, card.ts, FAKE_IDS.approver, 'RACE-TWO mention the license')]);
    await e.fake.waitFor(async () => {
      const t = await e!.store.getTask(taskId);
      return t?.turn === 2 && t.status === 'done';
    }, 40_000);
    await waitShows(e, channel, card.ts, /Done.*turn 2/);
    // Both replies reached turn 2, each once; no turn 3 was started.
    expect(userText(e.model.requests.at(-1)!).split('RACE-ONE').length - 1).toBe(1);
    expect(userText(e.model.requests.at(-1)!).split('RACE-TWO').length - 1).toBe(1);
    expect((await e.store.getTask(taskId))!.turn).toBe(2);
    expect(e.model.requests).toHaveLength(3);
    // The turn's prompt names whoever wrote the reply that started it.
    const said = userText(e.model.requests[1]!);
    expect(said.includes(`Follow-up from <@${owner}>:\nRACE-ONE`) || said.includes(`Follow-up from <@${FAKE_IDS.approver}>:\nRACE-TWO`)).toBe(true);
    // Both were seen; the one that became steering was marked as taken.
    await e.fake.waitFor(() => [r1, r2].every((r) => reactions(e!, channel, r.ts).includes('eyes')), 15_000);
    await e.fake.waitFor(() => [r1, r2].some((r) => reactions(e!, channel, r.ts).includes('white_check_mark')), 10_000);
  });
});
