import type { App } from '@slack/bolt';
import { renderError } from '../blocks/index.js';
import { canDecide, isForeignTeam } from '../tasks/access.js';
import { FINAL_STATUSES } from '../tasks/task-record.js';
import type { SlackDeps } from './slack-deps.js';

/** The fields of Slack's `agent_session_stopped` event this module reads. */
export interface SessionStopped {
  channel: string;
  /** Absent for a code channel's session (the channel is the session). */
  thread_ts?: string;
  user: string;
  user_team?: string;
  /** The streamed messages the person stopped: the app never appends to them again. */
  streaming_message_ts?: string[];
}

/**
 * Slack's native Stop on a task's thread (an agent session in `processing`): the same as the
 * Stop button on the card, with the same rule: the owner or an approver interrupts the turn;
 * anyone else is told, and nothing changes. The renderer then takes the session out of
 * `processing` from the `task_interrupted` event. A Stop in a task's code channel
 * (slack.codeChannels) is the same Stop.
 */
export function registerSessionEvents(app: App, deps: SlackDeps): void {
  app.event('agent_session_stopped' as never, async ({ event }: { event: SessionStopped }) => {
    await handleSessionStopped(deps, event).catch((e: unknown) => deps.logger.warn({ err: e }, 'could not handle a native Stop'));
  });
}

export async function handleSessionStopped(deps: SlackDeps, event: SessionStopped): Promise<void> {
  // Whoever pressed it, Slack has ended those streams: the renderer must not append to them.
  await deps.refs.markStreamsStopped(event.channel, event.streaming_message_ts ?? []);
  const taskId = event.thread_ts ? await deps.store.taskForThread(event.channel, event.thread_ts) : await deps.codeChannels.taskOf(event.channel);
  if (!taskId) return;
  const task = await deps.store.getTask(taskId);
  if (!task || FINAL_STATUSES.has(task.status)) return;
  const refuse = (view: Parameters<typeof renderError>[0]) => deps.poster.postEphemeral(event.channel, event.user, renderError(view), event.thread_ts).catch(() => undefined);
  if (isForeignTeam(deps.config, deps.teamId, event.user_team)) return void (await refuse({ kind: 'foreign_team' }));
  if (!canDecide(deps.config.findRepo(task.repo), task.owner, event.user)) return void (await refuse({ kind: 'not_permitted', action: 'stop', owner: task.owner }));
  await deps.store.appendOp(task.id, { type: 'interrupt', by: event.user });
}
