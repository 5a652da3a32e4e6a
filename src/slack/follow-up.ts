import { renderCard } from './card-updater.js';
import { initialCardState } from './card-state.js';
import type { SlackDeps } from './slack-deps.js';
import { randomUUID } from 'node:crypto';
import type { MessageRef } from '../tasks/message-refs.js';
import type { TaskRecord } from '../tasks/task-record.js';

/**
 * Starts the next turn of an ended task: same branch, the conversation so far (the agent
 * loads it), a fresh sandbox. The card shows the new turn as queued. If another reply started
 * the next turn first, this one steers that turn instead of being lost. Returns the op id when
 * the reply became steering.
 */
export async function startFollowUp(deps: SlackDeps, task: TaskRecord, text: string, by: string, reply?: MessageRef): Promise<{ steered?: string }> {
  const updated = await deps.store.startNextTurn(task.id, task.turn, text);
  if (!updated) {
    const opId = randomUUID();
    if (reply) await deps.refs.saveSteer(opId, reply);
    await deps.store.appendOp(task.id, { type: 'steer', text, by, opId });
    return { steered: opId };
  }
  try {
    await deps.queue.enqueue({ taskId: task.id, turn: updated.turn });
  } catch (e) {
    // No job means no turn: put the task back as it was, so the next reply can try again.
    await deps.store.updateTask(task.id, { turn: task.turn, turnPrompt: task.turnPrompt, status: task.status, endedAt: task.endedAt, error: task.error }).catch(() => undefined);
    throw e;
  }
  deps.logger.info({ taskId: task.id, turn: updated.turn, by }, 'follow-up queued');
  if (updated.cardTs) {
    await deps.poster.update(task.id, task.channel, updated.cardTs, renderCard(initialCardState(updated)), 'status').catch((e: unknown) => deps.logger.warn({ err: e }, 'could not show the follow-up on the card'));
  }
  return {};
}
