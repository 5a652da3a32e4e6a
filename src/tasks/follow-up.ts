import { randomUUID } from 'node:crypto';
import type { MessageRef } from './message-refs.js';
import { FINAL_STATUSES, type TaskRecord } from './task-record.js';
import { renderCard } from '../render/card-updater.js';
import { initialCardState } from '../render/card-state.js';
import type { SlackDeps } from '../slack/slack-deps.js';

const ATTEMPTS = 5;

/**
 * Delivers an allowed person's reply to a task: steering while a turn runs, the next turn once
 * it has ended. Both writes are conditional in Redis (appendOpIfRunning, startNextTurn), so a
 * reply racing with the end of a turn, or with another reply, lands exactly once: the worker
 * either reads it as steering or it starts (or steers) the next turn.
 */
export async function deliverReply(deps: SlackDeps, task: TaskRecord, text: string, by: string, reply?: MessageRef): Promise<'steered' | 'follow_up'> {
  let current: TaskRecord | undefined = task;
  for (let attempt = 0; current && attempt < ATTEMPTS; attempt++) {
    if (FINAL_STATUSES.has(current.status)) {
      if (await startFollowUp(deps, current, text, by)) return 'follow_up';
    } else {
      // The link goes first: once the op is in the stream, the agent may apply it (and ask the
      // reporter to mark the reply ✅) before a later write here would land.
      const opId = randomUUID();
      if (reply) await deps.refs.saveSteer(opId, reply);
      if (await deps.store.appendOpIfRunning(task.id, { type: 'steer', text, by, opId })) return 'steered';
    }
    current = await deps.store.getTask(task.id);
  }
  throw new Error(`could not deliver a reply to task ${task.id}: it kept changing state`);
}

/**
 * Starts the next turn of an ended task: same branch, the conversation so far (the agent
 * loads it), a fresh sandbox. The card shows the new turn as queued before the job can start.
 * Returns false when the task was not at that ended turn any more (another reply won).
 */
async function startFollowUp(deps: SlackDeps, task: TaskRecord, text: string, by: string): Promise<boolean> {
  const updated = await deps.store.startNextTurn(task.id, task.turn, text, by);
  if (!updated) return false;
  if (updated.cardTs) {
    await deps.poster.update(task.id, task.channel, updated.cardTs, renderCard(initialCardState(updated)), 'status').catch((e: unknown) => deps.logger.warn({ err: e }, 'could not show the follow-up on the card'));
  }
  try {
    await deps.queue.enqueue({ taskId: task.id, turn: updated.turn });
  } catch (e) {
    // No job means no turn: put the task back as it was, so the next reply can try again.
    await deps.store.updateTask(task.id, { turn: task.turn, turnPrompt: task.turnPrompt, status: task.status, endedAt: task.endedAt, error: task.error }).catch(() => undefined);
    throw e;
  }
  deps.logger.info({ taskId: task.id, turn: updated.turn, by }, 'follow-up queued');
  return true;
}
