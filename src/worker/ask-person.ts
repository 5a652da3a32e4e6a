import { randomBytes } from 'node:crypto';
import type { ApprovalDecision, ApprovalKind, DiffStat, EventSink, OpSource } from '../tasks/protocol.js';

/**
 * Asks the people of a task's thread to approve something the worker (not the agent) is about
 * to do: a push, or setup commands that would get the network on a tree the agent changed. The
 * request and its outcome are task events like the agent's own approvals; a cancel counts as a
 * decline, as does no decision within `timeoutMinutes`. Other operations are left for the next
 * turn (steering the worker cannot apply here becomes a follow-up, see run-task-job).
 */
export async function askPerson(
  io: { events: EventSink; ops: OpSource },
  request: { kind: ApprovalKind; command: string; reason: string; diffStat?: DiffStat; timeoutMinutes: number },
): Promise<{ decision: ApprovalDecision; by?: string; timedOut: boolean }> {
  const approvalId = `${request.kind}-${randomBytes(6).toString('hex')}`;
  const expiresAt = Date.now() + request.timeoutMinutes * 60_000;
  await io.events.emit({ type: 'approval_requested', approvalId, kind: request.kind, command: request.command, reason: request.reason, diffStat: request.diffStat, expiresAt: new Date(expiresAt).toISOString() });
  const result = await waitForDecision(io.ops, approvalId, expiresAt);
  await io.events.emit({ type: 'approval_resolved', approvalId, ...result });
  return result;
}

async function waitForDecision(ops: OpSource, approvalId: string, expiresAt: number): Promise<{ decision: ApprovalDecision; by?: string; timedOut: boolean }> {
  const signal = AbortSignal.timeout(Math.max(1, expiresAt - Date.now()));
  for (;;) {
    const op = await ops.next(signal);
    if (!op) return { decision: 'decline', timedOut: true };
    if (op.type === 'approval' && op.approvalId === approvalId) return { decision: op.decision, by: op.by, timedOut: false };
    if (op.type === 'cancel') return { decision: 'decline', by: op.by, timedOut: false };
  }
}
