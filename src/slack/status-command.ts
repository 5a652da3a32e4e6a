import type { SlashCommand } from '@slack/bolt';
import { renderError, renderTaskList, type TaskListItem } from '../blocks/index.js';
import type { TaskRecord } from '../tasks/task-record.js';
import { renderCard } from '../render/card-updater.js';
import { cardStateOf } from '../render/card-state.js';
import { redactingAck, type Ack } from './ack.js';
import { REDIS_DEADLINE_MS, type SlackDeps } from './slack-deps.js';
import { maySee } from './list-command.js';
import { withTimeout } from '../util/with-timeout.js';

/** One line of a task list (`/codex status`, App Home). */
export function toTaskListItem(t: TaskRecord, now = Date.now()): TaskListItem {
  const elapsedMs = t.startedAt ? (t.endedAt ? Date.parse(t.endedAt) : now) - Date.parse(t.startedAt) : undefined;
  return { taskId: t.id, status: t.status, prompt: t.prompt, repo: t.repo, elapsedMs };
}

/** `/codex status [id]`: one task's card, or the caller's recent tasks; always ephemeral. */
export async function showStatus(deps: SlackDeps, command: SlashCommand, taskId: string | undefined, rawAck: Ack): Promise<void> {
  const ack = redactingAck(rawAck);
  try {
    if (taskId) {
      const [task, events] = await withTimeout(Promise.all([deps.store.getTask(taskId), deps.store.readEvents(taskId)]), REDIS_DEADLINE_MS);
      // A task is visible to who may act on it and in the channel it runs in; to anyone else it
      // does not exist (its prompt may come from a private channel).
      if (!task || !maySee(deps, task, command.user_id, command.channel_id)) {
        return ack({ response_type: 'ephemeral', ...renderError({ kind: 'task_not_found', taskId }) });
      }
      const state = cardStateOf(task.id, events);
      // The record says `working` through approvals and stops; the events know which.
      const status = task.status === 'working' ? state.status : task.status;
      return ack({ response_type: 'ephemeral', ...renderCard({ ...state, status }) });
    }
    const tasks = await withTimeout(deps.store.tasksOf(command.user_id), REDIS_DEADLINE_MS);
    const now = Date.now();
    return ack({ response_type: 'ephemeral', ...renderTaskList({ tasks: tasks.map((t) => toTaskListItem(t, now)) }) });
  } catch {
    return ack({ response_type: 'ephemeral', ...renderError({ kind: 'service_unavailable', service: 'redis' }) });
  }
}
