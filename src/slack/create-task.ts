import { DEFAULT_LIMITS, type RepoConfig } from '../config.js';
import { CodexError } from '../errors.js';
import { withTimeout } from '../util/with-timeout.js';
import { newTaskId, taskBranchName, type TaskRecord } from '../tasks/task-record.js';
import { availability, readHeartbeats } from '../tasks/worker-health.js';
import { renderCard } from '../render/card-updater.js';
import { applyEvent, initialCardState } from '../render/card-state.js';
import type { TaskEvent } from '../tasks/protocol.js';
import type { ParsedCommand } from './parse-command.js';
import { REDIS_DEADLINE_MS, type SlackDeps } from './slack-deps.js';

/** The task could not be created because a service is down; nothing was written. */
export class TaskCreationError extends CodexError {
  constructor(
    readonly service: 'redis' | 'docker' | 'queue',
    cause?: unknown,
  ) {
    super('service_unavailable', `cannot create a task: ${service} is unavailable`, { cause, retryable: true });
  }
}

/** The person already has as many tasks waiting in the queue as one may (limits.maxQueuedTasksPerUser); nothing was written. */
export class TooManyQueuedError extends CodexError {
  constructor(readonly queued: number) {
    super('too_many_queued', `the owner already has ${queued} tasks queued`);
  }
}

export interface NewTaskInput {
  repo: RepoConfig;
  /** What was asked: `/codex task|plan` or a mention, parsed (`--branch` starts from that branch; plan mode proposes first). */
  asked: Pick<Extract<ParsedCommand, { kind: 'task' }>, 'prompt' | 'branch' | 'pullRequest'> & { mode?: 'plan' | 'review'; review?: { branch?: string; pullRequest?: number } };
  owner: string;
  channel: string;
  teamId?: string;
  /** The model the task asks for (taskTarget: flag, defaults, CODEX_MODEL). */
  model: string;
  personality?: string;
  /** Post the card into this existing thread (a mention in a thread) instead of as a new root message. */
  threadTs?: string;
  /** Earlier thread messages given to the agent as context. */
  context?: string;
  /** The id of the files of the message the task starts from (images reach the model). */
  attachments?: string;
  /** The automation this task is a run of. */
  automation?: { id: string; cron: string };
}

/**
 * Creates a task in two phases around Slack's acknowledgement. Phase one (before the ack,
 * bounded by REDIS_DEADLINE_MS) checks that a worker's Docker answers and writes the record and
 * its `task_created` event (TaskLifecycle.create); if either fails, TaskCreationError says which
 * service, and nothing exists. Phase two (`publish`, after the ack) posts the status card, the
 * fold of that event, as the thread's root (the thread must exist before anything else can be
 * rendered into it), links the thread and queues the job; if that fails, the task is removed
 * again (or fails, with a `task_failed` event, once the card is visible).
 */
export async function createTask(deps: SlackDeps, input: NewTaskInput, deadlineMs = REDIS_DEADLINE_MS): Promise<{ task: TaskRecord; publish: () => Promise<void> }> {
  const id = newTaskId();
  const now = new Date().toISOString();
  const task: TaskRecord = {
    id,
    repo: input.repo.name,
    branch: taskBranchName(id, input.asked.prompt),
    baseBranch: input.asked.branch ?? input.repo.baseBranch,
    prompt: input.asked.prompt,
    context: input.context,
    attachments: input.attachments,
    owner: input.owner,
    teamId: input.teamId,
    channel: input.channel,
    status: 'queued',
    model: input.model,
    ...(input.personality ? { personality: input.personality } : {}),
    turn: 1,
    mode: input.asked.mode ?? 'task',
    ...(input.automation ? { automation: input.automation } : {}),
    ...(input.asked.pullRequest ? { autoPullRequest: true } : {}),
    ...(input.asked.review ? { review: input.asked.review } : {}),
    createdAt: now,
    updatedAt: now,
  };
  // Past the deadline the person has been told that nothing was created. A Redis that answers
  // late (frozen, overloaded) still runs the commands already sent, so the write is skipped,
  // or undone, once the deadline has passed: no record that no card shows and no job runs.
  let abandoned = false;
  let created: TaskEvent | undefined;
  const write = (async () => {
    const health = availability(await readHeartbeats(deps.redis, deps.prefix));
    if (health === 'docker_down') throw new TaskCreationError('docker');
    const queued = await deps.store.queuedCountOf(input.owner);
    if (queued >= (deps.config.file.limits.maxQueuedTasksPerUser ?? DEFAULT_LIMITS.maxQueuedTasksPerUser)) throw new TooManyQueuedError(queued);
    if (abandoned) return;
    created = await deps.lifecycle.create(task);
    if (abandoned) await deps.store.deleteTask(task.id);
  })();
  try {
    await withTimeout(write, Math.max(1, deadlineMs), 'redis_timeout', 'creating the task');
  } catch (e) {
    abandoned = true;
    if (e instanceof TaskCreationError || e instanceof TooManyQueuedError) throw e;
    throw new TaskCreationError('redis', e);
  }
  const first = created!;
  return { task, publish: () => publishTask(deps, task, first, input.threadTs) };
}

const QUEUE_FAILED = 'The task could not be queued because the task store is unavailable. Run the command again in a minute.';

async function publishTask(deps: SlackDeps, task: TaskRecord, created: TaskEvent, threadTs?: string): Promise<void> {
  const card = applyEvent(initialCardState(task.id), created);
  let cardTs: string;
  try {
    cardTs = await deps.poster.post(task.id, task.channel, renderCard(card), { threadTs, kind: 'status' });
  } catch (e) {
    await deps.store.deleteTask(task.id).catch(() => undefined);
    throw e;
  }
  const thread = threadTs ?? cardTs;
  try {
    // The thread's permalink goes into the pull request's body, which a worker writes.
    const threadUrl = await deps.poster.client.chat.getPermalink({ channel: task.channel, message_ts: thread }).then((r) => r.permalink, () => undefined);
    await deps.store.patchTask(task.id, { cardTs, threadTs: thread, ...(threadUrl ? { threadUrl } : {}) });
    await deps.store.linkThread(task.channel, thread, task.id);
    await withTimeout(deps.lifecycle.enqueueFirstTurn(task, QUEUE_FAILED), 5_000, 'queue_timeout', 'queueing the task');
  } catch (e) {
    // The renderers show the failure from its event; with Redis gone there is no event to read,
    // so the card is failed here, from the events this process has (the one it could not store).
    const failed = { type: 'task_failed' as const, code: 'queue_unavailable' as const, message: QUEUE_FAILED, taskId: task.id, seq: created.seq + 1, at: new Date().toISOString() };
    await deps.lifecycle.fail(task.id, failed.code, failed.message, { turn: 1 }).catch(async () => {
      await deps.poster.update(task.id, task.channel, cardTs, renderCard(applyEvent(card, failed)), 'status').catch(() => undefined);
    });
    throw e;
  }
}
