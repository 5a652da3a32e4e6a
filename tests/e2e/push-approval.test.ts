import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, FIX_PATCH, git, startE2E, type E2E } from '../helpers/e2e.js';
import { click, replyInThread, scriptByPrompt, shown, startTask, waitApprovalPrompt, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * What a push approval shows and when it is asked: after the summary and the diff, with the
 * diff stat; always for changes to CI or configuration paths; again for a turn a steerer asked
 * for, even after "Approve for this task".
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, owner, other } = FAKE_IDS;

const WORKFLOW_PATCH = `*** Begin Patch
*** Add File: .github/workflows/ci.yml
+on: push
+jobs: {}
*** End Patch`;

const kinds = (e: E2E, threadTs: string) => e.fake.thread(channel, threadTs).filter((m) => m.ts !== threadTs).map((m) => m.metadata?.event_type);

describe('push approvals', () => {
  it('posts the summary and diff first and shows the diff stat in the prompt', { timeout: 90_000 }, async () => {
    e = await startE2E({
      script: [reply(functionCall('apply_patch', { input: FIX_PATCH })), reply(message('Fixed add.'))],
      repo: { pushBranches: true },
      repoConfig: { approval: { mode: 'never', network: false, push: true, timeoutMinutes: 5 } },
    });
    const { taskId, card } = await startTask(e, 'fix add and push it');
    const prompt = await waitApprovalPrompt(e, channel, card.ts, 0, 60_000);
    const order = kinds(e, card.ts);
    expect(order.indexOf('codex_task_summary')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('codex_task_summary')).toBeLessThan(order.indexOf('codex_task_approval'));
    expect(e.fake.files.some((f) => f.threadTs === card.ts && f.filename.endsWith('.diff'))).toBe(true);
    expect(shown(prompt)).toContain('src/math.js');
    expect(shown(prompt)).toMatch(/\+1\b.*−1|\+1.*-1/);
    await click(e, prompt, 'codex_approve', owner);
    expect((await waitEvent(e, taskId, 'branch_pushed')).ok).toBe(true);
    await waitStatus(e, taskId, 'done');
  });

  it('always asks for a change to CI files, even when pushes need no approval', { timeout: 90_000 }, async () => {
    e = await startE2E({ script: [reply(functionCall('apply_patch', { input: WORKFLOW_PATCH })), reply(message('Added a workflow.'))], repo: { pushBranches: true } });
    const { taskId, card } = await startTask(e, 'add a CI workflow');
    const prompt = await waitApprovalPrompt(e, channel, card.ts, 0, 60_000);
    expect(shown(prompt)).toContain('.github/workflows/ci.yml');
    expect(shown(prompt)).toMatch(/CI or configuration/);
    const task = (await e.store.getTask(taskId))!;
    expect(() => git(e!.upstream, 'rev-parse', '--verify', task.branch)).toThrow();
    await click(e, prompt, 'codex_deny', owner);
    await waitStatus(e, taskId, 'done');
    expect(() => git(e!.upstream, 'rev-parse', '--verify', task.branch)).toThrow();
  });

  it('asks again for a turn a steerer asked for, after "Approve for this task"', { timeout: 120_000 }, async () => {
    e = await startE2E({
      repo: { pushBranches: true, access: { steerers: [other] } },
      repoConfig: { approval: { mode: 'never', network: false, push: true, timeoutMinutes: 5 } },
      script: scriptByPrompt({
        'fix add': (_req, n) => {
          switch (n) {
            case 0:
              return reply(functionCall('apply_patch', { input: FIX_PATCH }));
            case 1:
              return reply(message('Fixed add.'));
            case 2:
              return reply(functionCall('shell', { command: 'echo "# notes" > NOTES.md' }));
            case 3:
              return reply(message('Added notes.'));
            case 4:
              return reply(functionCall('shell', { command: 'echo "more" >> NOTES.md' }));
            default:
              return reply(message('More notes.'));
          }
        },
      }),
    });
    const { taskId, card } = await startTask(e, 'fix add and push');
    await click(e, await waitApprovalPrompt(e, channel, card.ts, 0, 60_000), 'codex_approve_task', owner);
    await waitStatus(e, taskId, 'done');
    // The owner's follow-up pushes without asking.
    await replyInThread(e, card.ts, owner, 'add notes');
    await e.fake.waitFor(async () => (await e!.store.readEvents(taskId)).filter((ev) => ev.type === 'branch_pushed').length === 2, 60_000);
    await waitStatus(e, taskId, 'done');
    expect((await e.store.readEvents(taskId)).filter((ev) => ev.type === 'approval_requested')).toHaveLength(1);
    // A steerer's follow-up asks again.
    await replyInThread(e, card.ts, other, 'more notes');
    const again = await waitApprovalPrompt(e, channel, card.ts, 1, 60_000);
    expect(shown(again)).toContain('push');
    await click(e, again, 'codex_deny', owner);
    await e.fake.waitFor(async () => (await e!.store.getTask(taskId))?.turn === 3 && (await e!.store.getTask(taskId))?.status === 'done', 60_000);
    expect((await e.store.readEvents(taskId)).filter((ev) => ev.type === 'branch_pushed')).toHaveLength(2);
  });
});
