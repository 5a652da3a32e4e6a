import type { RespondFn, SlashCommand } from '@slack/bolt';
import { actionLogEntries, actionLogFile, renderActionLog, renderActionLogPointer, renderError } from '../blocks/index.js';
import { withTimeout } from '../util/with-timeout.js';
import { redactingAck, type Ack } from './ack.js';
import { maySee } from './list-command.js';
import { REDIS_DEADLINE_MS, type SlackDeps } from './slack-deps.js';

const UPLOAD_FAILED = "I couldn't upload the action log into the task's thread. Try `/codex log` again in a minute; if it keeps failing, tell whoever runs this bot.";

/**
 * `/codex log <task id>`: the task's action log (src/blocks/action-log.ts), for those who may
 * see the task (maySee). A short one is the ephemeral ack itself; a long one is uploaded as a
 * file into the task's thread after an ephemeral ack that says so.
 */
export async function showActionLog(deps: SlackDeps, command: SlashCommand, taskId: string, rawAck: Ack, respond: RespondFn): Promise<void> {
  const ack = redactingAck(rawAck);
  let found;
  try {
    found = await withTimeout(Promise.all([deps.store.getTask(taskId), deps.store.readEvents(taskId)]), REDIS_DEADLINE_MS, 'redis_timeout', 'reading the log');
  } catch {
    return ack({ response_type: 'ephemeral', ...renderError({ kind: 'service_unavailable', service: 'redis' }) });
  }
  const [task, events] = found;
  if (!task || !maySee(deps, task, command.user_id, command.channel_id)) return ack({ response_type: 'ephemeral', ...renderError({ kind: 'task_not_found', taskId }) });
  const entries = actionLogEntries(events);
  const inline = renderActionLog({ taskId, entries });
  if (inline) return ack({ response_type: 'ephemeral', ...inline });
  if (!task.threadTs) {
    // No thread to upload into (its card was never posted): the latest entries that fit.
    const latest = renderActionLog({ taskId, entries: entries.slice(-10) });
    return ack({ response_type: 'ephemeral', ...(latest ?? renderError({ kind: 'internal' })) });
  }
  await ack({ response_type: 'ephemeral', ...renderActionLogPointer({ taskId, entries: entries.length }) });
  try {
    await deps.poster.uploadFile(task.channel, task.threadTs, `codex-${taskId}-log.txt`, actionLogFile({ taskId, entries }), `Action log of task ${taskId}`);
  } catch (e) {
    deps.logger.warn({ err: e, taskId }, 'could not upload an action log');
    await respond({ response_type: 'ephemeral', text: UPLOAD_FAILED }).catch(() => undefined);
  }
}
