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

/** A short list message: its lines (capped at `max`, the rest counted), or a sentence when there are none. */
function listMessage<T>(items: readonly T[], spec: { max: number; empty: string; title: string; line: (item: T) => string; footer: (more: number) => string }): SlackMessage {
  if (items.length === 0) return buildMessage(spec.empty, [section(spec.empty)]);
  const blocks: KnownBlock[] = [section(`*${spec.title}*\n${items.slice(0, spec.max).map(spec.line).join('\n')}`), context([spec.footer(items.length - spec.max)])];
  return buildMessage(`${spec.title}: ${items.length}`, blocks);
}

/** `<url|label>` for a link Slack gave us, or undefined for anything that is not a plain http(s) URL. */
function slackLink(url: string | undefined, label: string): string | undefined {
  return url && /^https?:\/\/[^\s|<>]+$/.test(url) ? `<${url}|${label}>` : undefined;
}

/** `/codex status`: the caller's recent tasks, newest first, one short line each. */
export function renderTaskList(view: { tasks: TaskListItem[] }): SlackMessage {
  return listMessage(view.tasks, {
    max: TASK_LIST_MAX,
    empty: 'You have no tasks yet. Start one with `/codex task &lt;prompt&gt;`.',
    title: 'Your recent tasks',
    line: (t) => {
      const { icon, label } = STATUS_LABELS[t.status];
      const took = t.elapsedMs !== undefined ? ` · ${formatElapsed(t.elapsedMs)}` : '';
      return `${icon} ${slackLink(t.permalink, t.taskId) ?? inlineCode(t.taskId, 40)} ${label} · ${snippet(t.repo, 40)}${took}\n      ${snippet(t.prompt, 90)}`;
    },
    footer: (more) => `${more > 0 ? `… and ${more} older. ` : ''}\`/codex status &lt;task id&gt;\` shows one task in full.`,
  });
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

function activeLine(t: ActiveTaskItem): string {
  const { icon, label } = STATUS_LABELS[t.status];
  const link = slackLink(t.permalink, 'thread');
  return `${icon} ${inlineCode(t.taskId, 40)} ${label} · ${snippet(t.repo, 40)} · ${mention(t.owner)} · ${formatElapsed(t.ageMs)} ago${link ? ` · ${link}` : ''}\n      ${snippet(t.prompt, 90)}`;
}

/** `/codex list`: the running and queued tasks the person may see, oldest first. */
export function renderActiveTasks(view: { tasks: ActiveTaskItem[] }): SlackMessage {
  return listMessage(view.tasks, {
    max: ACTIVE_LIST_MAX,
    empty: 'No running or queued tasks that you can see. Start one with `/codex task &lt;prompt&gt;`, or see your recent ones with `/codex status`.',
    title: 'Running and queued tasks',
    line: activeLine,
    footer: (more) => `${more > 0 ? `… and ${more} more. ` : ''}\`/codex log &lt;task id&gt;\` shows what a task did; \`/codex status &lt;task id&gt;\` its card.`,
  });
}
