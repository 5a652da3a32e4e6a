import { randomBytes } from 'node:crypto';
import type { ApprovalPolicy, RepoConfig } from '../config.js';
import { CodexError } from '../errors.js';
import type { Workspace } from '../runner/workspace.js';
import type { ApprovalDecision, EventSink, OpSource } from '../tasks/protocol.js';
import type { TaskRecord } from '../tasks/task-record.js';
import type { TaskStore } from '../tasks/task-store.js';

/** A remote URL as shown to people: any user:password@ part removed. */
export function displayRemote(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

/**
 * Waits for the decision on `approvalId` from the task's operations until `expiresAt`. A cancel
 * counts as a decline; other operations are left for the next turn (steering the worker
 * cannot apply here becomes a follow-up, see run-task-job).
 */
async function waitForDecision(ops: OpSource, approvalId: string, expiresAt: number): Promise<{ decision: ApprovalDecision; by?: string; timedOut: boolean }> {
  const signal = AbortSignal.timeout(Math.max(1, expiresAt - Date.now()));
  for (;;) {
    const op = await ops.next(signal);
    if (!op) return { decision: 'decline', timedOut: true };
    if (op.type === 'approval' && op.approvalId === approvalId) return { decision: op.decision, by: op.by, timedOut: false };
    if (op.type === 'cancel') return { decision: 'decline', by: op.by, timedOut: false };
  }
}

/**
 * After a turn that committed, pushes the task branch upstream when the repo asks for it:
 * first asking in the thread when the approval policy says pushes ask (unless someone chose
 * "Approve for this task" before). The outcome is a `branch_pushed` event either way.
 */
export async function pushStep(input: { task: TaskRecord; repo: RepoConfig; policy: ApprovalPolicy; commit: string; workspace: Workspace; store: TaskStore; events: EventSink; ops: OpSource }): Promise<boolean> {
  const { task, repo, events } = input;
  const remote = displayRemote(repo.pushUrl);
  if (input.policy.push && !task.autoPush) {
    const approvalId = `push-${randomBytes(6).toString('hex')}`;
    const expiresAt = Date.now() + input.policy.timeoutMinutes * 60_000;
    await events.emit({ type: 'approval_requested', approvalId, kind: 'push', command: `git push ${remote} ${task.branch}`, reason: 'Publish the task branch upstream for review.', expiresAt: new Date(expiresAt).toISOString() });
    const result = await waitForDecision(input.ops, approvalId, expiresAt);
    await events.emit({ type: 'approval_resolved', approvalId, ...result });
    if (result.decision === 'decline') return false;
    if (result.decision === 'accept_for_task') await input.store.patchTask(task.id, { autoPush: true });
  }
  try {
    const sha = await input.workspace.pushBranch(repo, task.branch, repo.pushUrl);
    await events.emit({ type: 'branch_pushed', branch: task.branch, remote, commit: sha, ok: true });
    return true;
  } catch (e) {
    const error = CodexError.isInstance(e) ? e.userMessage : 'The push failed.';
    await events.emit({ type: 'branch_pushed', branch: task.branch, remote, commit: input.commit, ok: false, error });
    return false;
  }
}
