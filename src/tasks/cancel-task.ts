import type { RepoConfig } from '../config.js';
import { canDecide } from './access.js';
import type { TaskLifecycle } from './lifecycle.js';
import { FINAL_STATUSES, type TaskStatus } from './task-record.js';

export type CancelResult =
  | { kind: 'cancelling' }
  | { kind: 'cancelled_queued' }
  | { kind: 'not_found' }
  | { kind: 'not_permitted'; owner: string }
  | { kind: 'finished'; status: TaskStatus };

/**
 * Cancels a task for `user` (the owner or an approver). A task still waiting in the queue ends
 * here (TaskLifecycle.cancelQueued); a running one gets a cancel operation, and its worker ends
 * it, keeps the branch with what was done, and removes the sandbox.
 */
export async function cancelTask(lifecycle: TaskLifecycle, findRepo: (name: string) => RepoConfig | undefined, taskId: string, user: string): Promise<CancelResult> {
  const task = await lifecycle.store.getTask(taskId);
  if (!task) return { kind: 'not_found' };
  if (!canDecide(findRepo(task.repo), task.owner, user)) return { kind: 'not_permitted', owner: task.owner };
  if (FINAL_STATUSES.has(task.status)) return { kind: 'finished', status: task.status };
  if (await lifecycle.cancelQueued(task, user)) return { kind: 'cancelled_queued' };
  await lifecycle.store.appendOp(task.id, { type: 'cancel', by: user });
  return { kind: 'cancelling' };
}
