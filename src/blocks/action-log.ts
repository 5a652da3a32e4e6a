import type { KnownBlock } from '@slack/web-api';
import type { TaskEvent } from '../tasks/protocol.js';
import { context, section } from './block-kit.js';
import { formatDuration, mention, slackTime } from './format.js';
import { clampPlain, inlineCode, snippet } from './limits.js';
import { buildMessage, type SlackMessage } from './message.js';

/*
 * `/codex log <task id>`: what a task did, folded from its events alone: each command with its
 * exit code and duration, each approval with who decided and when, each steer, stop, cancel and
 * push, and where turns began and ended. Pure: the same events give the same log, shown either
 * as an ephemeral message (mrkdwn, times in the reader's time zone) or as a plain-text file.
 */

/** One line of the log, in both renderings. */
export interface ActionLogEntry {
  at: string;
  /** mrkdwn, escaped, with mentions. */
  text: string;
  /** Plain text for the file: user ids as they are, nothing escaped. */
  plain: string;
}

const DECISION: Record<'accept' | 'accept_for_task' | 'decline', string> = { accept: 'approved', accept_for_task: 'approved for the whole task', decline: 'declined' };

const firstLine = (s: string) => s.split('\n')[0] ?? '';

/** The log's entries, oldest first; events that are not actions (narration, plan, usage, …) are left out. */
export function actionLogEntries(events: readonly TaskEvent[]): ActionLogEntry[] {
  const entries: ActionLogEntry[] = [];
  const add = (at: string, text: string, plain: string) => entries.push({ at, text, plain });
  for (const ev of [...events].sort((a, b) => a.seq - b.seq)) {
    switch (ev.type) {
      case 'task_created':
        add(ev.at, `🆕 Task created by ${mention(ev.facts.owner)} on ${snippet(ev.facts.repo, 60)} (model ${inlineCode(ev.facts.model, 60)})`, `task created by ${ev.facts.owner} on ${ev.facts.repo} (model ${ev.facts.model})`);
        break;
      case 'turn_queued':
        add(ev.at, `↩️ Turn ${ev.turn} asked for by ${mention(ev.by)}: “${snippet(ev.prompt, 150)}”`, `turn ${ev.turn} asked for by ${ev.by}: "${clampPlain(ev.prompt, 500)}"`);
        break;
      case 'command_finished': {
        const how = `${ev.timedOut ? 'timed out' : `exit ${ev.exitCode}`} in ${formatDuration(ev.durationMs)}`;
        add(ev.at, `${ev.exitCode === 0 && !ev.timedOut ? '✔️' : '✖️'} ${inlineCode(firstLine(ev.command), 120)} → ${how}`, `$ ${ev.command.replace(/\n/g, ' ⏎ ')}  → ${how}`);
        break;
      }
      case 'approval_requested': {
        const what = ev.command ? ` ${inlineCode(firstLine(ev.command), 120)}` : '';
        add(ev.at, `✋ Approval asked (${ev.kind})${what}`, `approval asked (${ev.kind})${ev.command ? `: ${ev.command.replace(/\n/g, ' ⏎ ')}` : ''}`);
        break;
      }
      case 'approval_resolved':
        if (ev.timedOut || ev.by === undefined) add(ev.at, `⌛ Approval not decided in time: counted as declined`, 'approval not decided in time: counted as declined');
        else add(ev.at, `${ev.decision === 'decline' ? '🚫' : '✅'} ${DECISION[ev.decision]} by ${mention(ev.by)}`, `${DECISION[ev.decision]} by ${ev.by}`);
        break;
      case 'steering_received':
        add(ev.at, `💬 Steered by ${mention(ev.by)}: “${snippet(ev.text, 150)}”`, `steered by ${ev.by}: "${clampPlain(ev.text, 500)}"`);
        break;
      case 'task_interrupted':
        add(ev.at, `⏸️ Stopped${ev.by ? ` by ${mention(ev.by)}` : ''}`, `stopped${ev.by ? ` by ${ev.by}` : ''}`);
        break;
      case 'task_cancelled':
        add(ev.at, `🚫 Cancelled${ev.by ? ` by ${mention(ev.by)}` : ''}`, `cancelled${ev.by ? ` by ${ev.by}` : ''}`);
        break;
      case 'branch_pushed':
        if (ev.ok) add(ev.at, `⬆️ Pushed ${inlineCode(ev.branch, 100)} (${inlineCode(ev.commit.slice(0, 10), 12)})`, `pushed ${ev.branch} to ${ev.remote} (${ev.commit})`);
        else add(ev.at, `⚠️ Push of ${inlineCode(ev.branch, 100)} failed: ${snippet(ev.error ?? 'unknown error', 200)}`, `push of ${ev.branch} failed: ${ev.error ?? 'unknown error'}`);
        break;
      case 'task_completed':
        add(ev.at, `🏁 Turn ended: done${ev.budget ? ` (${ev.budget} budget reached)` : ''}`, `turn ended: done${ev.budget ? ` (${ev.budget} budget reached)` : ''}`);
        break;
      case 'task_failed':
        add(ev.at, `❌ Turn failed: ${snippet(ev.message, 200)}`, `turn failed: ${ev.message}`);
        break;
      default:
        break;
    }
  }
  return entries;
}

/** Entries an ephemeral message shows; a longer log goes into the thread as a file. */
export const ACTION_LOG_INLINE_ENTRIES = 25;
const INLINE_CHARS = 2_800;

/** The ephemeral log, or undefined when it is too long to show inline. */
export function renderActionLog(view: { taskId: string; entries: ActionLogEntry[] }): SlackMessage | undefined {
  const lines = view.entries.map((e) => `${slackTime(e.at, '{time_secs}')}  ${e.text}`);
  const body = lines.length > 0 ? lines.join('\n') : 'Nothing happened yet: no command ran, and no one approved, steered, stopped or cancelled.';
  if (view.entries.length > ACTION_LOG_INLINE_ENTRIES || body.length > INLINE_CHARS) return undefined;
  const blocks: KnownBlock[] = [section(`*Action log of task ${inlineCode(view.taskId, 40)}*`), section(body), context(['Times are in your time zone.'])];
  return buildMessage(`Action log of task ${view.taskId}: ${view.entries.length} entries`, blocks);
}

/** The whole log as a plain-text file, times in UTC. */
export function actionLogFile(view: { taskId: string; entries: ActionLogEntry[] }): string {
  const lines = view.entries.map((e) => `${e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}  ${e.plain}`);
  return `Action log of task ${view.taskId} (times in UTC)\n\n${lines.join('\n')}\n`;
}

/** The ephemeral pointer to a log uploaded into the task's thread. */
export function renderActionLogPointer(view: { taskId: string; entries: number }): SlackMessage {
  const text = `The action log of task ${inlineCode(view.taskId, 40)} has ${view.entries} entries, too many to show here: I am uploading it as a file into the task's thread.`;
  return buildMessage(text, [section(text)]);
}
