import { renderCard } from './card-updater.js';
import { initialCardState } from './card-state.js';
import type { SlackDeps } from './slack-deps.js';
import type { TaskRecord } from '../tasks/task-record.js';

/**
 * Starts the next turn of an ended task: same branch, the conversation so far (the agent
 * loads it), a fresh sandbox. The card shows the new turn as queued.
 */
export async function startFollowUp(deps: SlackDeps, task: TaskRecord, text: string, by: string): Promise<void> {
  const turn = task.turn + 1;
  const updated = await deps.store.updateTask(task.id, {
    turn,
    turnPrompt: text,
    status: 'queued',
    error: undefined,
    endedAt: undefined,
    startedAt: undefined,
    opCursor: await deps.store.lastOpId(task.id),
  });
  await deps.queue.enqueue({ taskId: task.id, turn });
  deps.logger.info({ taskId: task.id, turn, by }, 'follow-up queued');
  if (updated.cardTs) {
    await deps.poster.update(task.id, task.channel, updated.cardTs, renderCard(initialCardState(updated)), 'status').catch((e: unknown) => deps.logger.warn({ err: e }, 'could not show the follow-up on the card'));
  }
}
