import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply } from '../fakes/model-server.js';
import type { FakeMessage } from '../fakes/slack-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { buttonValue, click, ephemeralsFor, requestsOf, waitApprovalPrompt, waitShows, scriptByPrompt, shown, startTask, versions, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * Approvals end to end: the repo's policy (always ask for commands matching a pattern) and a
 * channel's override of it (a short timeout), the prompt in the thread, who may click, the
 * decision settled once, and what the model is told.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, otherChannel, privateChannel, owner, other, approver } = FAKE_IDS;

/** The approval prompts of a task's thread, oldest first. */
function prompts(e: E2E, ch: string, threadTs: string): FakeMessage[] {
  return e.fake.thread(ch, threadTs).filter((m) => m.metadata?.event_type === 'codex_task_approval');
}


/** Five added lines: over the private channel's limit of 3. */
const BIG_PATCH = `*** Begin Patch
*** Add File: notes.txt
+one
+two
+three
+four
+five
*** End Patch`;

const ok = (out: string) => {
  if (!out.startsWith('Exit code: 0')) throw new Error(`the approved command did not run: ${out}`);
};

describe('approvals', () => {
  it('lets only the owner or an approver decide, settles each request once, tells the model about denials, times out as Deny, and follows channel overrides', { timeout: 90_000 }, async () => {
    e = await startE2E({
      repo: { approval: { mode: 'never', commandPatterns: ['^touch ', '^rm '], timeoutMinutes: 1 }, access: { approvers: [approver] } },
      repoConfig: {
        channels: {
          [otherChannel]: { approval: { timeoutMinutes: 0.05 } },
          [privateChannel]: { approval: { mode: 'on-request', changeLinesOver: 3, push: true } },
        },
      },
      script: scriptByPrompt({
        'decide on touches': (req, n) => {
          switch (n) {
            case 0:
              return reply(functionCall('shell', { command: 'touch approved.txt', justification: 'a marker the task needs' }));
            case 1:
              ok(lastToolOutput(req));
              return reply(functionCall('shell', { command: 'touch denied.txt' }));
            case 2:
              return reply(functionCall('shell', { command: 'rm -f nothing-here && touch granted.txt' }));
            case 3:
              ok(lastToolOutput(req));
              return reply(functionCall('shell', { command: 'rm -f still-nothing' }));
            case 4:
              ok(lastToolOutput(req));
              return reply(message('Made approved.txt and granted.txt; denied.txt was declined.'));
            default:
              throw new Error(`unexpected request ${n}`);
          }
        },
        'ask in other ways': (req, n) => {
          switch (n) {
            case 0:
              return reply(functionCall('apply_patch', { input: BIG_PATCH }));
            case 1:
              if (!lastToolOutput(req).startsWith('Success.')) throw new Error(`the approved patch was not applied: ${lastToolOutput(req)}`);
              return reply(functionCall('shell', { command: 'mv notes.txt old-notes.txt', require_approval: true, justification: 'the notes are obsolete' }));
            case 2:
              return reply(functionCall('shell', { command: 'git push origin HEAD' }));
            default:
              return reply(message('Wrote notes.txt; renaming it and pushing were declined.'));
          }
        },
        'wait for nobody': (_req, n) => (n === 0 ? reply(functionCall('shell', { command: 'touch late.txt' })) : reply(message('Nobody approved, so no late.txt.'))),
      }),
    });
    const a = await startTask(e, 'decide on touches');
    const b = await startTask(e, 'wait for nobody', { channel_id: otherChannel });
    const c = await startTask(e, 'ask in other ways', { channel_id: privateChannel });

    // Request 1: someone else's click is refused and changes nothing; the owner's Approve runs it.
    const p1 = await waitApprovalPrompt(e, channel, a.card.ts, 0);
    expect(shown(p1)).toContain('touch approved.txt');
    expect(shown(p1)).toContain('a marker the task needs');
    // Button values carry ids only.
    for (const id of ['codex_approve', 'codex_approve_task', 'codex_deny']) expect(Object.keys(JSON.parse(buttonValue(p1, id))).sort()).toEqual(['a', 't']);
    await click(e, p1, 'codex_approve', other);
    const refusal = await e.fake.waitFor(() => ephemeralsFor(e!, other)[0], 15_000);
    expect(refusal).toMatch(/decide on approvals/);
    expect(versions(e, channel, p1.ts)).toHaveLength(1);
    expect((await e.store.readOps(a.taskId, '0')).filter((o) => o.op.type === 'approval')).toEqual([]);
    expect((await e.store.getTask(a.taskId))!.status).not.toBe('done');

    // While it waits, the card says so.
    await waitShows(e, channel, a.card.ts, 'Waiting for approval', 15_000);
    await click(e, p1, 'codex_approve', owner);
    await e.fake.waitFor(() => versions(e!, channel, p1.ts).at(-1)!.includes('> approved'), 10_000);
    const settled1 = versions(e, channel, p1.ts).at(-1)!;
    expect(settled1).toContain(`<@${owner}> approved \`touch approved.txt\` at <!date^`);
    expect(settled1).not.toContain('codex_approve');

    // Request 2: Deny goes back to the model; a second click changes nothing.
    const p2 = await waitApprovalPrompt(e, channel, a.card.ts, 1);
    expect(shown(p2)).toContain('touch denied.txt');
    await click(e, p2, 'codex_deny', owner);
    const denial = lastToolOutput(await e.fake.waitFor(() => requestsOf(e!, 'decide on touches')[2], 20_000));
    expect(denial).toContain(`The user <@${owner}> declined this command; it did not run.`);
    // The click's edit and the worker's edit (from approval_resolved) both landed: 3 versions.
    await waitEvent(e, a.taskId, 'approval_resolved', (ev) => ev.decision === 'decline');
    await e.fake.waitFor(() => versions(e!, channel, p2.ts).length === 3, 10_000);
    expect(versions(e, channel, p2.ts).at(-1)).toContain(`<@${owner}> denied`);
    await click(e, p2, 'codex_approve', owner);
    const closed = await e.fake.waitFor(() => ephemeralsFor(e!, owner).find((t) => t.includes('already decided')), 15_000);
    expect(closed).toContain('nothing changed');
    expect(versions(e, channel, p2.ts)).toHaveLength(3);
    expect(versions(e, channel, p2.ts).at(-1)).toContain('denied');
    expect((await e.store.readOps(a.taskId, '0')).filter((o) => o.op.type === 'approval')).toHaveLength(2);

    // Request 3: a configured approver approves for the whole task; the next `rm` does not ask.
    const p3 = await waitApprovalPrompt(e, channel, a.card.ts, 2);
    await click(e, p3, 'codex_approve_task', approver);
    await e.fake.waitFor(() => versions(e!, channel, p3.ts).at(-1)!.includes(`<@${approver}> approved`), 10_000);

    // The timed-out request of the other channel (its override: 3 s instead of 1 minute).
    const late = await waitApprovalPrompt(e, otherChannel, b.card.ts, 0);
    expect(shown(late)).toContain('touch late.txt');
    await e.fake.waitFor(() => versions(e!, otherChannel, late.ts).at(-1)!.includes('timed out'), 20_000);
    expect(versions(e, otherChannel, late.ts).at(-1)).toContain('counted as denied');
    const resolvedLate = await waitEvent(e, b.taskId, 'approval_resolved');
    expect(resolvedLate).toMatchObject({ decision: 'decline', timedOut: true });
    expect(resolvedLate.by).toBeUndefined();
    const editsAfterTimeout = versions(e, otherChannel, late.ts).length;
    await click(e, late, 'codex_approve', owner);
    await e.fake.waitFor(() => ephemeralsFor(e!, owner).filter((t) => t.includes('already decided')).length === 2, 15_000);
    expect(versions(e, otherChannel, late.ts)).toHaveLength(editsAfterTimeout);

    // The private channel's policy: a patch over 3 lines, a command the model asks about
    // (on-request), a push.
    const patch = await waitApprovalPrompt(e, privateChannel, c.card.ts, 0);
    expect(shown(patch)).toContain('apply a large change');
    expect(shown(patch)).toContain('notes.txt');
    await click(e, patch, 'codex_approve', owner);
    const asked = await waitApprovalPrompt(e, privateChannel, c.card.ts, 1);
    expect(shown(asked)).toContain('mv notes.txt old-notes.txt');
    expect(shown(asked)).toContain('the agent asked for approval');
    expect(shown(asked)).toContain('the notes are obsolete');
    await click(e, asked, 'codex_deny', owner);
    const push = await waitApprovalPrompt(e, privateChannel, c.card.ts, 2);
    expect(shown(push)).toContain('push the branch');
    await click(e, push, 'codex_deny', owner);
    const doneC = await waitStatus(e, c.taskId, 'done', 30_000);
    expect(e.mirrorGit('show', `${doneC.branch}:notes.txt`)).toBe('one\ntwo\nthree\nfour\nfive');
    expect((await e.store.readEvents(c.taskId)).filter((ev) => ev.type === 'approval_requested').map((ev) => ev.type === 'approval_requested' && ev.kind)).toEqual(['patch', 'command', 'push']);
    expect(lastToolOutput(requestsOf(e, 'ask in other ways')[3]!)).toContain('declined this command');

    const doneA = await waitStatus(e, a.taskId, 'done', 30_000);
    const doneB = await waitStatus(e, b.taskId, 'done', 30_000);
    // The model of B was told that nobody decided in time.
    expect(lastToolOutput(requestsOf(e, 'wait for nobody')[1]!)).toContain('No one approved this command within 3 seconds, so it counts as declined and did not run.');

    // Three requests for A (the `rm` after "Approve for this task" did not ask), one for B.
    expect((await e.store.readEvents(a.taskId)).filter((ev) => ev.type === 'approval_requested')).toHaveLength(3);
    expect(prompts(e, channel, a.card.ts)).toHaveLength(3);
    // What ran is on the branch; what was denied or timed out is not.
    const filesA = e.mirrorGit('ls-tree', '--name-only', doneA.branch).split('\n');
    expect(filesA).toEqual(expect.arrayContaining(['approved.txt', 'granted.txt']));
    expect(filesA).not.toContain('denied.txt');
    expect(e.mirrorGit('ls-tree', '--name-only', doneB.branch).split('\n')).not.toContain('late.txt');
  });
});
