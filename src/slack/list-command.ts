import type { SlashCommand } from '@slack/bolt';
import { ACTIVE_LIST_MAX, renderActiveTasks, renderError, type ActiveTaskItem } from '../blocks/index.js';
import { canDecide } from '../tasks/access.js';
import { FINAL_STATUSES, type TaskRecord } from '../tasks/task-record.js';
import { withTimeout } from '../util/with-timeout.js';
import { redactingAck, type Ack } from './ack.js';
import { REDIS_DEADLINE_MS, type SlackDeps } from './slack-deps.js';

/** How long the links to the threads may take, each; a link not there in time is left out. */
const PERMALINK_DEADLINE_MS = 800;

/**
 * Whether `user`, asking in `channel`, may see a task: who may act on it, and anyone in the
 * channel it runs in; to anyone else it does not exist (its prompt may come from a private
 * channel). The rule of `/codex status`, `/codex list` and `/codex log`.
 */
export function maySee(deps: Pick<SlackDeps, 'config'>, task: TaskRecord, user: string, channel: string): boolean {
  return canDecide(deps.config.findRepo(task.repo), task.owner, user) || channel === task.channel;
}

/**
 * `/codex list`: the running and queued tasks the person may see (the `<prefix>:active` index),
 * oldest first, each with a link to its thread; ephemeral, answered in the ack. Redis is given
 * REDIS_DEADLINE_MS and the links PERMALINK_DEADLINE_MS, so the ack stays within 3 seconds.
 */
export async function showActiveTasks(deps: SlackDeps, command: SlashCommand, rawAck: Ack): Promise<void> {
  const ack = redactingAck(rawAck);
  let tasks: TaskRecord[];
  try {
    tasks = await withTimeout(
      (async () => {
        const ids = await deps.store.activeTaskIds();
        const records = await Promise.all(ids.map((id) => deps.store.getTask(id)));
        return records.filter((t): t is TaskRecord => t !== undefined && !FINAL_STATUSES.has(t.status) && maySee(deps, t, command.user_id, command.channel_id));
      })(),
      REDIS_DEADLINE_MS,
      'redis_timeout',
      'listing tasks',
    );
  } catch {
    return ack({ response_type: 'ephemeral', ...renderError({ kind: 'service_unavailable', service: 'redis' }) });
  }
  tasks.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  const now = Date.now();
  const shown = tasks.slice(0, ACTIVE_LIST_MAX);
  const links = await Promise.all(shown.map((t) => threadLink(deps, t)));
  const items: ActiveTaskItem[] = tasks.map((t, i) => ({ taskId: t.id, status: t.status, repo: t.repo, owner: t.owner, prompt: t.prompt, ageMs: now - Date.parse(t.createdAt), permalink: links[i] }));
  return ack({ response_type: 'ephemeral', ...renderActiveTasks({ tasks: items }) });
}

async function threadLink(deps: SlackDeps, task: TaskRecord): Promise<string | undefined> {
  if (!task.threadTs) return undefined;
  try {
    const res = await withTimeout(deps.poster.client.chat.getPermalink({ channel: task.channel, message_ts: task.threadTs }), PERMALINK_DEADLINE_MS, 'timeout', 'linking a thread');
    return res.permalink;
  } catch {
    return undefined;
  }
}
