import type { KnownBlock } from '@slack/web-api';
import type { TaskStatus } from '../tasks/task-record.js';
import { context, section } from './block-kit.js';
import { formatElapsed, mention } from './format.js';
import { inlineCode, snippet } from './limits.js';
import { buildMessage, type SlackMessage } from './message.js';
import { STATUS_LABELS } from './status-card.js';

/** One line of `/codex status` without an id. */
export interface TaskListItem {
  taskId: string;
  status: TaskStatus;
  prompt: string;
  repo: string;
  /** Link to the task's thread (chat.getPermalink), when known. */
  permalink?: string;
  /** Time since the task started (running) or how long it took (ended). */
  elapsedMs?: number;
}

/** Tasks shown; `/codex status <id>` shows any one of them in full. */
export const TASK_LIST_MAX = 10;

/** `/codex status`: the caller's recent tasks, newest first, one short line each. */
export function renderTaskList(view: { tasks: TaskListItem[] }): SlackMessage {
  if (view.tasks.length === 0) {
    const text = 'You have no tasks yet. Start one with `/codex task &lt;prompt&gt;`.';
    return buildMessage(text, [section(text)]);
  }
  const lines = view.tasks.slice(0, TASK_LIST_MAX).map((t) => {
    const { icon, label } = STATUS_LABELS[t.status];
    const id = t.permalink && /^https?:\/\/[^\s|<>]+$/.test(t.permalink) ? `<${t.permalink}|${t.taskId}>` : inlineCode(t.taskId, 40);
    const took = t.elapsedMs !== undefined ? ` · ${formatElapsed(t.elapsedMs)}` : '';
    return `${icon} ${id} ${label} · ${snippet(t.repo, 40)}${took}\n      ${snippet(t.prompt, 90)}`;
  });
  const blocks: KnownBlock[] = [section(`*Your recent tasks*\n${lines.join('\n')}`)];
  const more = view.tasks.length - TASK_LIST_MAX;
  blocks.push(context([`${more > 0 ? `… and ${more} older. ` : ''}\`/codex status &lt;task id&gt;\` shows one task in full.`]));
  return buildMessage(`Your recent tasks: ${view.tasks.length}`, blocks);
}


/** One line of `/codex list`: a task that has not ended. */
export interface ActiveTaskItem {
  taskId: string;
  status: TaskStatus;
  repo: string;
  owner: string;
  prompt: string;
  /** Time since the task was created. */
  ageMs: number;
  /** Link to the task's thread (chat.getPermalink), when Slack gave one in time. */
  permalink?: string;
}

/** Tasks `/codex list` shows. */
export const ACTIVE_LIST_MAX = 20;

/** `/codex list`: the running and queued tasks the person may see, oldest first. */
export function renderActiveTasks(view: { tasks: ActiveTaskItem[] }): SlackMessage {
  if (view.tasks.length === 0) {
    const text = 'No running or queued tasks that you can see. Start one with `/codex task &lt;prompt&gt;`, or see your recent ones with `/codex status`.';
    return buildMessage(text, [section(text)]);
  }
  const lines = view.tasks.slice(0, ACTIVE_LIST_MAX).map((t) => {
    const { icon, label } = STATUS_LABELS[t.status];
    const link = t.permalink && /^https?:\/\/[^\s|<>]+$/.test(t.permalink) ? ` · <${t.permalink}|thread>` : '';
    return `${icon} ${inlineCode(t.taskId, 40)} ${label} · ${snippet(t.repo, 40)} · ${mention(t.owner)} · ${formatElapsed(t.ageMs)} ago${link}\n      ${snippet(t.prompt, 90)}`;
  });
  const more = view.tasks.length - ACTIVE_LIST_MAX;
  const blocks: KnownBlock[] = [section(`*Running and queued tasks*\n${lines.join('\n')}`)];
  blocks.push(context([`${more > 0 ? `… and ${more} more. ` : ''}\`/codex log &lt;task id&gt;\` shows what a task did; \`/codex status &lt;task id&gt;\` its card.`]));
  return buildMessage(`Running and queued tasks: ${view.tasks.length}`, blocks);
}
