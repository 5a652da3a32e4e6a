import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply, userMessages } from '../fakes/model-server.js';
import { FAKE_IDS, FIX_PATCH, slash, startE2E, type E2E } from '../helpers/e2e.js';
import { replyInThread, shown, waitStatus } from '../helpers/thread.js';

/*
 * `/codex plan`: the first turn explores and proposes, and nothing it writes reaches the branch;
 * a reply in the thread then carries the plan out on the same branch with the plan in context.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

describe('/codex plan', () => {
  it('proposes a plan without changing the branch, and a reply carries it out', { timeout: 120_000 }, async () => {
    const PLAN = 'Plan: change `add` in src/math.js to return a + b, then run npm test.';
    e = await startE2E({
      script: [
        // The model disobeys and edits during planning: the edit must not survive.
        reply(functionCall('update_plan', { plan: [{ step: 'Fix add', status: 'pending' }, { step: 'Run the tests', status: 'pending' }] }), functionCall('apply_patch', { input: FIX_PATCH })),
        reply(message(PLAN)),
        reply(functionCall('apply_patch', { input: FIX_PATCH })),
        reply(message('Done: add adds.')),
      ],
    });
    const ack = await slash(e, 'plan fix the add function');
    expect(ack.status).toBe(200);
    const card = await e.fake.waitFor(() => e!.fake.messages(FAKE_IDS.channel).find((m) => m.metadata?.event_type === 'codex_task_status'), 10_000);
    const taskId = card.metadata!.event_payload.task_id as string;
    const planned = await waitStatus(e, taskId, 'done', 60_000);

    // The model was told to plan only; the branch still points at the base commit.
    expect(userMessages(e.model.requests[0]!)[0]).toContain('Plan only');
    const base = e.mirrorGit('rev-parse', 'refs/remotes/origin/main');
    expect(e.mirrorGit('rev-parse', planned.branch)).toBe(base);
    // The plan is the summary; with no change there is no diff to upload.
    const summary = await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, card.ts).find((m) => m.metadata?.event_type === 'codex_task_summary'), 20_000);
    expect(shown(summary)).toContain('src/math.js to return a + b');
    expect(e.fake.files.length).toBe(0);

    await replyInThread(e, card.ts, FAKE_IDS.owner, 'go ahead');
    const done = await e.fake.waitFor(async () => {
      const t = await e!.store.getTask(taskId);
      return t?.turn === 2 && t.status === 'done' && t;
    }, 60_000);
    expect(e.mirrorGit('show', `${done.branch}:src/math.js`)).toContain('a + b');
    const followUp = e.model.requests[2]!;
    expect(JSON.stringify(followUp.body.input)).toContain(PLAN);
    expect(userMessages(followUp).at(-1)).toContain('go ahead');
  });
});
