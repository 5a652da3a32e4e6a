import { canDecide } from './access.js';
import { FINAL_STATUSES, type TaskStatus } from './task-record.js';
import { withTimeout } from '../util/with-timeout.js';
import { renderCard } from '../render/card-updater.js';
import { applyEvent, initialCardState } from '../render/card-state.js';
import { REDIS_DEADLINE_MS, type SlackDeps } from '../slack/slack-deps.js';
import { renderCancelled } from '../blocks/index.js';

export type CancelResult =
  | { kind: 'cancelling' }
  | { kind: 'cancelled_queued' }
  | { kind: 'not_found' }
  | { kind: 'not_permitted'; owner: string }
  | { kind: 'finished'; status: TaskStatus };

/**
 * Cancels a task for `user` (the owner or an approver). A task still waiting in the queue is
 * taken out and marked cancelled here; a running one gets a cancel operation, and its worker
 * ends it, keeps the branch with what was done, and removes the sandbox.
 */
export async function cancelTask(deps: SlackDeps, taskId: string, user: string): Promise<CancelResult> {
  const task = await withTimeout(deps.store.getTask(taskId), REDIS_DEADLINE_MS);
  if (!task) return { kind: 'not_found' };
  const repo = deps.config.repos.find((r) => r.name === task.repo);
  if (!canDecide(repo, task.owner, user)) return { kind: 'not_permitted', owner: task.owner };
  if (FINAL_STATUSES.has(task.status)) return { kind: 'finished', status: task.status };
  if (task.status === 'queued' && (await deps.queue.removeWaiting(task.id, task.turn))) {
    // The event first: the record's final write sets the expiry of every key, the event stream's too.
    const event = await deps.store.appendEvent(task.id, { type: 'task_cancelled', by: user });
    const updated = await deps.store.updateTask(task.id, { status: 'cancelled', endedAt: new Date().toISOString() });
    if (updated.cardTs) {
      void deps.poster.update(task.id, task.channel, updated.cardTs, renderCard(applyEvent(initialCardState(updated), event)), 'status').catch(() => undefined);
      void deps.poster.post(task.id, task.channel, renderCancelled({ by: user, repo: task.repo }), { threadTs: updated.threadTs, kind: 'cancelled' }).catch(() => undefined);
    }
    return { kind: 'cancelled_queued' };
  }
  await deps.store.appendOp(task.id, { type: 'cancel', by: user });
  return { kind: 'cancelling' };
}
