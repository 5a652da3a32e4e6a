import type { App } from '@slack/bolt';
import { renderError, renderHelp } from '../blocks/index.js';
import { parseCommand } from './parse-command.js';
import { canSteer, isForeignTeam, steerersOf } from '../tasks/access.js';
import type { TaskRecord } from '../tasks/task-record.js';
import { withTimeout } from '../util/with-timeout.js';
import { createTask, TaskCreationError, TooManyQueuedError } from './create-task.js';
import { resolveTarget } from './task-target.js';
import { redactDeep } from '../util/redact.js';
import { REDIS_DEADLINE_MS, type SlackDeps } from './slack-deps.js';
import { readThreadContext } from './thread-context.js';
import { storeAttachments, threadRootFiles, type SlackFile } from './attachments.js';

/** The fields of a Slack `message` / `app_mention` event this module reads. */
export interface IncomingMessage {
  channel: string;
  user?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  subtype?: string;
  bot_id?: string;
  team?: string;
  /** The author's own workspace (differs from `team` in a shared channel). */
  user_team?: string;
  /** Files shared with the message (images reach the model). */
  files?: SlackFile[];
}

/** Replies that carry a person's words; every other subtype (edits, deletions, joins, bots) is ignored. */
const HUMAN_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share']);

/**
 * Thread replies and mentions. A reply in a task's thread from someone allowed to steer is a
 * steer operation while the task runs (👀 at once, ✅ when the agent takes it) and a follow-up
 * turn once it has ended. A mention starts a task (in a thread, with the thread's earlier
 * messages as context), or inside a task's thread acts like a reply. Slack's retried
 * deliveries are dropped by event id.
 */
export function registerThreadEvents(app: App, deps: SlackDeps): void {
  app.event('message', async ({ event, body }) => {
    await handleThreadMessage(deps, event as unknown as IncomingMessage, (body as { event_id?: string }).event_id);
  });
  app.event('app_mention', async ({ event, body }) => {
    await handleMention(deps, event as unknown as IncomingMessage, (body as { event_id?: string }).event_id);
  });
}

export async function handleThreadMessage(deps: SlackDeps, msg: IncomingMessage, eventId?: string): Promise<void> {
  if (!HUMAN_SUBTYPES.has(msg.subtype) || msg.bot_id || !msg.user || (!msg.text?.trim() && !msg.files?.length)) return;
  const inThread = msg.thread_ts && msg.thread_ts !== msg.ts ? msg.thread_ts : undefined;
  if (!inThread && !deps.config.file.slack.codeChannels) return;
  // A mention of the bot also arrives as app_mention; that listener handles it.
  if (deps.botUserId && msg.text?.includes(`<@${deps.botUserId}>`)) return;
  const user = msg.user;
  try {
    const taskId = await taskOfMessage(deps, msg.channel, inThread);
    if (!taskId) return;
    if (eventId && !(await deps.store.markSeen(`event:${eventId}`))) return;
    const task = await deps.store.getTask(taskId);
    if (task) await replyToTask(deps, task, msg, (msg.text ?? '').trim());
  } catch (e) {
    // Redis is down (or the reply could not be delivered): say so rather than look like it worked.
    deps.logger.warn({ err: e }, 'could not handle a thread reply');
    await deps.poster.postEphemeral(msg.channel, user, renderError({ kind: 'service_unavailable', service: 'redis' }), inThread).catch(() => undefined);
  }
}

/**
 * The task a message belongs to: the task whose thread it is in, else (slack.codeChannels) the
 * task whose code channel it is in, top level or in a thread there.
 */
async function taskOfMessage(deps: SlackDeps, channel: string, threadTs: string | undefined): Promise<string | undefined> {
  const byThread = threadTs ? await deps.store.taskForThread(channel, threadTs) : undefined;
  if (byThread || !deps.config.file.slack.codeChannels) return byThread;
  return deps.codeChannels.taskOf(channel);
}

/** A reply to a task's thread: steer it while it runs, follow it up once it has ended. */
async function replyToTask(deps: SlackDeps, task: TaskRecord, msg: IncomingMessage, text: string): Promise<void> {
  const user = msg.user!;
  // In the task's code channel, refusals are answered there (the task's thread is elsewhere).
  const threadTs = msg.channel === task.channel ? task.threadTs : undefined;
  if (isForeignTeam(deps.config, deps.teamId, msg.user_team ?? msg.team)) {
    await deps.poster.postEphemeral(msg.channel, user, renderError({ kind: 'foreign_team' }), threadTs).catch(() => undefined);
    return;
  }
  const repo = deps.config.findRepo(task.repo);
  if (!canSteer(repo, task.owner, user)) {
    await deps.poster.postEphemeral(msg.channel, user, renderError({ kind: 'not_permitted', action: 'steer', owner: task.owner, others: steerersOf(repo, task.owner) }), threadTs).catch(() => undefined);
    return;
  }
  // The link to the reply goes first: once the op is in the stream, the agent may apply it (and
  // a renderer mark the reply ✅) before a later write here would land.
  const attachments = await storeAttachments(deps, msg.files);
  await deps.lifecycle.deliver(task, text, user, (opId) => deps.refs.saveSteer(opId, { channel: msg.channel, ts: msg.ts }), attachments);
  await deps.poster.react(msg.channel, msg.ts, 'eyes');
}

export async function handleMention(deps: SlackDeps, msg: IncomingMessage, eventId?: string): Promise<void> {
  if (msg.bot_id || !msg.user) return;
  const user = msg.user;
  const text = (msg.text ?? '').replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, ' ').replace(/\s+/g, ' ').trim();
  const inThread = msg.thread_ts && msg.thread_ts !== msg.ts ? msg.thread_ts : undefined;
  const fail = (view: Parameters<typeof renderError>[0]) => deps.poster.postEphemeral(msg.channel, user, redactDeep(renderError(view)), inThread).catch(() => undefined);
  try {
    if (eventId && !(await withTimeout(deps.store.markSeen(`event:${eventId}`), REDIS_DEADLINE_MS))) return;
    const existing = await withTimeout(taskOfMessage(deps, msg.channel, inThread), REDIS_DEADLINE_MS);
    if (existing) {
      const task = await deps.store.getTask(existing);
      if (task && (text || msg.files?.length)) await replyToTask(deps, task, msg, text);
      return;
    }
  } catch {
    await fail({ kind: 'service_unavailable', service: 'redis' });
    return;
  }
  const parsed = parseCommand(/^(help|status|cancel|plan|task)\b/i.test(text) ? text : `task ${text}`);
  if (parsed.kind === 'help' || (parsed.kind === 'invalid' && text === '')) {
    await deps.poster.postEphemeral(msg.channel, user, renderHelp({ repos: deps.config.repos.map((r) => r.name) }), inThread).catch(() => undefined);
    return;
  }
  if (parsed.kind !== 'task') {
    await fail(parsed.kind === 'invalid' ? { kind: 'invalid_command', reason: parsed.reason } : { kind: 'invalid_command', reason: 'Use `/codex status` or `/codex cancel` for that.' });
    return;
  }
  if (isForeignTeam(deps.config, deps.teamId, msg.user_team ?? msg.team)) {
    await fail({ kind: 'foreign_team' });
    return;
  }
  const target = await resolveTarget(deps, msg.channel, user, parsed);
  if (!target.ok) {
    await fail(target.error);
    return;
  }
  const context = inThread ? await readThreadContext(deps, msg.channel, inThread, msg.ts).catch(() => undefined) : undefined;
  try {
    // The files of the mention, and of the thread's first message when the task starts from a thread.
    const rootFiles = inThread ? await threadRootFiles(deps, msg.channel, inThread).catch(() => []) : [];
    const attachments = await storeAttachments(deps, [...rootFiles, ...(msg.files ?? [])]);
    const created = await createTask(deps, { repo: target.repo, asked: parsed, owner: user, channel: msg.channel, teamId: msg.team, threadTs: inThread ?? msg.ts, context, attachments, model: target.model, personality: target.personality });
    await created.publish();
  } catch (e) {
    if (e instanceof TaskCreationError) await fail({ kind: 'service_unavailable', service: e.service });
    else if (e instanceof TooManyQueuedError) await fail({ kind: 'too_many_queued', queued: e.queued });
    else {
      deps.logger.error({ err: e }, 'could not start a task from a mention');
      await fail({ kind: 'internal' });
    }
  }
}
