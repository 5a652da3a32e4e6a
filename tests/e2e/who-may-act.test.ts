import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply } from '../fakes/model-server.js';
import { messageEvent } from '../fakes/slack-signing.js';
import { FAKE_IDS, slash, startE2E, type E2E } from '../helpers/e2e.js';
import { buttonValue, ephemeralsFor, shown, startTask, versions, waitApprovalPrompt, waitStatus } from '../helpers/thread.js';

/*
 * Who may act: with `selfApprove: false` someone other than the owner approves; people of
 * another Slack workspace (a shared channel's other side) can neither start, steer nor approve
 * unless the config allows their workspace.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, owner, approver } = FAKE_IDS;
const FOREIGN = 'T0ELSEWHERE';

describe('who may act', () => {
  it('with selfApprove off, refuses the owner\'s own approval and takes an approver\'s', { timeout: 90_000 }, async () => {
    e = await startE2E({
      repo: { access: { approvers: [approver] }, approval: { mode: 'never', commandPatterns: ['^touch '], selfApprove: false, timeoutMinutes: 5 } },
      script: [
        reply(functionCall('shell', { command: 'touch marker.txt' })),
        (req) => {
          if (!lastToolOutput(req).startsWith('Exit code: 0')) throw new Error(`not approved: ${lastToolOutput(req)}`);
          return reply(message('Done.'));
        },
      ],
    });
    const { taskId, card } = await startTask(e, 'make a marker');
    const prompt = await waitApprovalPrompt(e, channel, card.ts, 0, 60_000);
    // The prompt names who may decide: the approver, not the owner.
    expect(shown(prompt)).toContain(`<@${approver}>`);
    expect(shown(prompt)).not.toContain(`<@${owner}>`);
    const click = (user: string) => e!.sender.blockAction({ actionId: 'codex_approve', value: buttonValue(prompt, 'codex_approve'), messageTs: prompt.ts, threadTs: prompt.thread_ts, userId: user });
    await click(owner);
    const refusal = await e.fake.waitFor(() => ephemeralsFor(e!, owner).find((t) => t.includes('other than the task')), 15_000);
    expect(refusal).toContain(`<@${approver}>`);
    expect((await e.store.readOps(taskId, '0')).filter((o) => o.op.type === 'approval')).toEqual([]);
    await click(approver);
    await waitStatus(e, taskId, 'done', 60_000);
    expect(versions(e, channel, prompt.ts).at(-1)).toContain(`<@${approver}> approved`);
  });

  it('refuses people of another workspace unless it is allowed', { timeout: 90_000 }, async () => {
    e = await startE2E({
      repo: { approval: { mode: 'never', commandPatterns: ['^touch '], timeoutMinutes: 5 } },
      script: [reply(functionCall('shell', { command: 'touch marker.txt' })), reply(message('Done.'))],
    });
    // A slash command from another workspace starts nothing.
    const res = await slash(e, 'task do something', { team_id: FOREIGN });
    expect(res.body).toContain('another Slack workspace');
    expect(e.fake.messages(channel).filter((m) => m.metadata?.event_type === 'codex_task_status')).toHaveLength(0);

    const { taskId, card } = await startTask(e, 'make a marker');
    const prompt = await waitApprovalPrompt(e, channel, card.ts, 0, 60_000);
    // A reply from someone of another workspace is not delivered.
    const foreignReply = e.fake.injectMessage({ channel, user: owner, text: 'steer from elsewhere', thread_ts: card.ts });
    await e.sender.event(messageEvent(foreignReply, { userTeam: FOREIGN }));
    // A click from another workspace changes nothing.
    await e.sender.blockAction({ actionId: 'codex_approve', value: buttonValue(prompt, 'codex_approve'), messageTs: prompt.ts, threadTs: prompt.thread_ts, userId: owner, userTeamId: FOREIGN });
    await e.fake.waitFor(() => ephemeralsFor(e!, owner).filter((t) => t.includes('another Slack workspace')).length === 2, 15_000);
    expect(await e.store.readOps(taskId, '0')).toEqual([]);
    // The owner, from this workspace, still decides.
    await e.sender.blockAction({ actionId: 'codex_deny', value: buttonValue(prompt, 'codex_deny'), messageTs: prompt.ts, threadTs: prompt.thread_ts, userId: owner });
    await waitStatus(e, taskId, 'done', 60_000);
  });

  it('lets an allowed workspace start a task', { timeout: 60_000 }, async () => {
    e = await startE2E({ repoConfig: { slack: { allowedTeams: [FOREIGN] } }, script: [reply(message('Done.'))] });
    const res = await slash(e, 'task do something', { team_id: FOREIGN });
    expect(res.body).toBe('');
    await e.fake.waitFor(() => e!.fake.messages(channel).find((m) => m.metadata?.event_type === 'codex_task_status'), 10_000);
  });
});
