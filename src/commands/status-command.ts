import type { SlashCommand } from '@slack/bolt';
import { renderError, renderTaskList } from '../blocks/index.js';
import { renderCard } from '../slack/card-updater.js';
import { applyEvent, initialCardState } from '../slack/card-state.js';
import { redactDeep } from '../slack/redact.js';
import { REDIS_DEADLINE_MS, type SlackDeps } from '../slack/slack-deps.js';
import { withTimeout } from '../util/with-timeout.js';

type Ack = (response?: { response_type?: 'ephemeral'; text: string; blocks?: unknown[] }) => Promise<void>;

/** `/codex status [id]`: one task's card, or the caller's recent tasks; always ephemeral. */
export async function showStatus(deps: SlackDeps, command: SlashCommand, taskId: string | undefined, ack: Ack): Promise<void> {
  try {
    if (taskId) {
      const [task, events] = await withTimeout(Promise.all([deps.store.getTask(taskId), deps.store.readEvents(taskId)]), REDIS_DEADLINE_MS);
      if (!task) return ack({ response_type: 'ephemeral', ...renderError({ kind: 'task_not_found', taskId }) });
      const state = events.reduce(applyEvent, initialCardState(task));
      return ack({ response_type: 'ephemeral', ...redactDeep(renderCard({ ...state, status: task.status })) });
    }
    const tasks = await withTimeout(deps.store.tasksOf(command.user_id), REDIS_DEADLINE_MS);
    const now = Date.now();
    return ack({
      response_type: 'ephemeral',
      ...redactDeep(
        renderTaskList({
          tasks: tasks.map((t) => ({
            taskId: t.id,
            status: t.status,
            prompt: t.prompt,
            repo: t.repo,
            elapsedMs: t.startedAt ? (t.endedAt ? Date.parse(t.endedAt) : now) - Date.parse(t.startedAt) : undefined,
          })),
        }),
      ),
    });
  } catch {
    return ack({ response_type: 'ephemeral', ...renderError({ kind: 'service_unavailable', service: 'redis' }) });
  }
}
