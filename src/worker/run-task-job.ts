import type Docker from 'dockerode';
import type { Redis } from 'ioredis';
import type OpenAI from 'openai';
import { runAgent } from '../agent/index.js';
import { resolveApproval, resolveBudgets, type Config, type RepoConfig } from '../config.js';
import { CodexError, errorMessage } from '../errors.js';
import { taskLogger, type Logger } from '../logger.js';
import type { DockerSandbox } from '../runner/docker-sandbox.js';
import { createTaskSandbox } from '../runner/task-sandbox.js';
import { pushStep } from './push-step.js';
import type { DiffStat as RunnerDiffStat } from '../runner/diff-stat.js';
import type { TaskCheckout, Workspace } from '../runner/workspace.js';
import { TaskReporter } from '../render/task-renderer.js';
import type { SlackPoster } from '../slack-client/slack-poster.js';
import type { MessageRefs } from '../tasks/message-refs.js';
import type { DiffStat, TaskEvent } from '../tasks/protocol.js';
import { RedisEventSink, RedisOpSource } from '../tasks/redis-channels.js';
import { FINAL_STATUSES, type TaskRecord } from '../tasks/task-record.js';
import type { TaskStore } from '../tasks/task-store.js';
import type { JobData, TaskQueue } from '../tasks/task-queue.js';

/** What running a task needs; built once per worker process in src/worker/start-worker.ts. */
export interface WorkerDeps {
  config: Config;
  logger: Logger;
  store: TaskStore;
  refs: MessageRefs;
  poster: SlackPoster;
  workspace: Workspace;
  openai: OpenAI;
  docker: Docker;
  /**
   * Value of the sandboxes' `codex.project` label (the Redis prefix): orphan reaping only ever
   * touches containers of this installation, so two installations can share a Docker engine.
   */
  project: string;
  /** For follow-up turns the worker starts itself (late steering). */
  queue: TaskQueue;
  /** Opens a dedicated connection for a task's blocking op reads. */
  blockingRedis: () => Redis;
}

/** Converts the runner's diff stat into the protocol's. */
export function toProtocolDiffStat(stat: RunnerDiffStat): DiffStat {
  return { files: stat.files.map((f) => ({ path: f.path, added: f.added, removed: f.removed })), added: stat.insertions, removed: stat.deletions };
}

/**
 * Runs one turn of a task: checkout (new branch, or the task's branch for a follow-up), sandbox,
 * setup commands, the agent, then a host-side commit, the summary with the diff, and cleanup.
 * The sandbox and checkout are always removed; the branch stays. Events go to Redis and, in
 * the same process, to the Slack reporter of the task.
 */
export async function runTaskJob(deps: WorkerDeps, job: JobData): Promise<void> {
  const task = await deps.store.getTask(job.taskId);
  if (!task || task.turn !== job.turn || FINAL_STATUSES.has(task.status)) return;
  const log = taskLogger(deps.logger, task.id);
  const repo = deps.config.repos.find((r) => r.name === task.repo);
  const reporter = new TaskReporter(task, deps.poster, deps.refs, log, [...new Set([task.owner, ...(repo?.access.approvers ?? [])])]);
  const sink = new RedisEventSink(deps.store, task.id);
  sink.onEvent((e) => reporter.handle(e));
  const blocking = deps.blockingRedis();
  let checkout: TaskCheckout | undefined;
  let sandbox: DockerSandbox | undefined;
  let final: TaskEvent | undefined;
  let diff: string | undefined;
  /** The record's final state, written only after cleanup (see the end of this function). */
  let ending: Partial<TaskRecord> | undefined;
  try {
    await deps.store.updateTask(task.id, { status: 'starting', startedAt: task.startedAt ?? new Date().toISOString(), endedAt: undefined });
    reporter.setStatus('starting');
    if (!repo) throw new CodexError('repo_removed', `repo ${task.repo} is no longer configured`, { userMessage: `The repo "${task.repo}" is no longer in the configuration; ask an admin to add it back.` });

    const ops = new RedisOpSource(deps.store, task.id, blocking, task.opCursor ?? '0');
    // A follow-up (or a job retried after its worker died) continues the branch, which may also
    // come from upstream when it was pushed (another worker host ran the earlier turns); a first
    // turn, or a follow-up of a turn that failed before making the branch, starts it. No mirror
    // yet means no branch.
    const continues =
      (await deps.workspace.branchTip(repo, task.branch).catch(() => undefined)) !== undefined ||
      (task.turn > 1 && repo.pushBranches && (await deps.workspace.adoptUpstreamBranch(repo, task.branch)));
    if (!continues && task.turn > 1 && (await deps.store.load(task.id))) {
      throw new CodexError('branch_not_found', `branch ${task.branch} is missing from the mirror`, {
        userMessage: `The task's branch ${task.branch} is not on this worker any more (its data directory was removed, or the follow-up ran on another host), so its earlier work cannot be continued. Start a new task with \`/codex task\`.`,
      });
    }
    checkout = !continues
      ? await deps.workspace.createCheckout({ repo, taskId: task.id, prompt: task.prompt, branch: task.branch, baseBranch: task.baseBranch })
      : await deps.workspace.continueCheckout({ repo, taskId: task.id, branch: task.branch, baseBranch: task.baseBranch });
    sandbox = createTaskSandbox({ repo, checkout, docker: deps.docker, project: deps.project, logger: log });
    await sandbox.start();
    await deps.store.updateTask(task.id, { status: 'working' });
    await sink.emit({ type: 'task_started', model: task.model, repo: repo.name, branch: task.branch, turn: task.turn });
    const setupFailure = await runSetup(sandbox, repo, sink);
    if (setupFailure) throw setupFailure;

    const policy = resolveApproval(deps.config.file, deps.config.file.repos.find((r) => r.name === repo.name)!, task.channel);
    const outcome = await runAgent(
      {
        taskId: task.id,
        prompt: await turnPrompt(deps.store, task),
        context: task.turn === 1 ? task.context : undefined,
        repo,
        branch: task.branch,
        model: task.model,
        budgets: resolveBudgets(deps.config.file),
        approval: policy,
        limits: repo.limits,
        owner: task.owner,
        by: task.turn > 1 ? task.turnBy : undefined,
        turn: task.turn,
      },
      { sandbox, openai: deps.openai, events: sink, ops, store: deps.store, logger: log },
    );

    // The commit must not walk a tree the sandbox can still change.
    await sandbox.stop();
    // A planning turn changes nothing: whatever it wrote is dropped with the checkout.
    const result = planning(task)
      ? { committed: false, commitSha: checkout.startSha, diff: '', stat: { files: [], filesChanged: 0, insertions: 0, deletions: 0 } }
      : await deps.workspace.finishCheckout(checkout, { message: commitMessage(task, outcome.status === 'completed' ? outcome.summary : undefined) });
    diff = result.diff;
    const diffStat = toProtocolDiffStat(result.stat);
    // A cancel that came after the agent's last step still means: do nothing more.
    const lateCancel = await cancelledDuring(deps.store, task);
    if (outcome.status === 'completed' && result.committed && repo.pushBranches && !lateCancel) {
      await pushStep({ task, repo, policy, commit: result.commitSha, workspace: deps.workspace, store: deps.store, events: sink, ops });
    }
    if (outcome.status === 'completed') {
      final = await sink.emit({ type: 'task_completed', summary: outcome.summary, diffStat, branch: task.branch, commit: result.committed ? result.commitSha : undefined, budget: outcome.budget });
    } else if (outcome.status === 'cancelled') {
      final = await sink.emit({ type: 'task_cancelled', by: outcome.by });
    } else {
      final = await sink.emit({ type: 'task_failed', code: outcome.code, message: outcome.message });
    }
    ending = {
      status: outcome.status === 'completed' ? 'done' : outcome.status,
      commit: result.commitSha,
      error: outcome.status === 'failed' ? { code: outcome.code, message: outcome.message } : undefined,
    };
  } catch (e) {
    const code = CodexError.isInstance(e) ? e.code : 'internal_error';
    const message = CodexError.isInstance(e) ? e.userMessage : `Something went wrong on the worker: ${errorMessage(e)}. Try again with a reply in this thread; if it keeps failing, tell whoever runs this bot.`;
    log.error({ err: e, code }, 'task failed');
    if (!final) final = await sink.emit({ type: 'task_failed', code, message }).catch(() => undefined);
    ending = { status: 'failed', error: { code, message } };
  } finally {
    await sandbox?.stop().catch((e: unknown) => log.warn({ err: e }, 'could not stop the sandbox'));
    if (checkout) await deps.workspace.removeCheckout(checkout).catch((e: unknown) => log.warn({ err: e }, 'could not remove the checkout'));
    blocking.disconnect();
    if (final?.type === 'task_completed') reporter.summarize(final, diff);
    await reporter.finish().catch((e: unknown) => log.warn({ err: e }, 'could not deliver the final status'));
  }
  // Only now, with the sandbox and checkout gone and the final card sent, does the record say
  // the turn ended: a reply from here on starts the next turn (which reuses the checkout path
  // and the card), while one before it was steering this turn.
  const ended = await deps.store.updateTask(task.id, { ...ending, endedAt: new Date().toISOString() }).catch((e: unknown) => {
    log.error({ err: e }, 'could not record the end of the turn');
    return undefined;
  });
  if (!ended || ended.status === 'cancelled') return;
  // Replies that came in as the turn ended were acknowledged (👀) but never reached the model:
  // they become the next turn rather than being dropped. (A reply can no longer be added as
  // steering now that the record says ended: appendOpIfRunning.)
  try {
    if (await cancelledDuring(deps.store, task)) return;
    const leftover = await unappliedSteering(deps.store, ended, task.opCursor ?? '0');
    if (leftover) await queueFollowUp(deps, ended, leftover.text, leftover.by);
  } catch (e) {
    log.warn({ err: e }, 'could not queue the follow-up of late steering');
  }
}

/** True when someone cancelled during this turn (its operations since the turn began). */
async function cancelledDuring(store: TaskStore, task: TaskRecord): Promise<boolean> {
  return (await store.readOps(task.id, task.opCursor ?? '0')).some(({ op }) => op.type === 'cancel');
}

/**
 * Steering sent during a turn that the agent never applied (it arrived after the last model
 * call, or while the commit ran), joined into one message; undefined when there is none. Every
 * op of the turn is in the stream by now: the record says ended, so no more can be added.
 */
async function unappliedSteering(store: TaskStore, task: TaskRecord, fromOpId: string): Promise<{ text: string; by: string } | undefined> {
  const steers = (await store.readOps(task.id, fromOpId)).flatMap(({ op }) => (op.type === 'steer' ? [op] : []));
  if (steers.length === 0) return undefined;
  const applied = new Set((await store.readEvents(task.id)).flatMap((e) => (e.type === 'steering_applied' ? e.opIds : [])));
  const unread = steers.filter((op) => !applied.has(op.opId));
  return unread.length ? { text: unread.map((op) => op.text).join('\n\n'), by: unread[0]!.by } : undefined;
}

/**
 * Starts the next turn of an ended task with `text` as its prompt. If a reply started it first,
 * these words (read by nobody yet) steer that turn instead.
 */
async function queueFollowUp(deps: WorkerDeps, task: TaskRecord, text: string, by: string): Promise<void> {
  const next = await deps.store.startNextTurn(task.id, task.turn, text, by);
  if (!next) {
    await deps.store.appendOpIfRunning(task.id, { type: 'steer', text, by });
    return;
  }
  try {
    await deps.queue.enqueue({ taskId: task.id, turn: next.turn });
  } catch (e) {
    await deps.store.updateTask(task.id, { turn: task.turn, turnPrompt: task.turnPrompt, status: task.status, endedAt: task.endedAt, error: task.error });
    throw e;
  }
}

/**
 * Marks a task failed when its job died outside runTaskJob's own handling (lost lock, Redis
 * gone mid-way), so that no task is left looking busy for ever.
 */
export async function failAbandonedTask(deps: WorkerDeps, taskId: string, error: unknown): Promise<void> {
  const task = await deps.store.getTask(taskId);
  if (!task || FINAL_STATUSES.has(task.status)) return;
  const message = `The worker running this task stopped unexpectedly (${errorMessage(error)}). Reply in this thread to try again.`;
  const reporter = new TaskReporter(task, deps.poster, deps.refs, taskLogger(deps.logger, taskId));
  // The event first: the record's final write sets the expiry of every key, the event stream's too.
  reporter.handle(await deps.store.appendEvent(taskId, { type: 'task_failed', code: 'worker_lost', message }));
  await deps.store.updateTask(taskId, { status: 'failed', endedAt: new Date().toISOString(), error: { code: 'worker_lost', message } });
  await reporter.finish();
}

/** Runs the repo's setup commands as task commands; the first failure fails the task with its output. */
async function runSetup(sandbox: DockerSandbox, repo: RepoConfig, sink: RedisEventSink): Promise<CodexError | undefined> {
  for (const [i, command] of repo.setup.entries()) {
    const callId = `setup-${i + 1}`;
    await sink.emit({ type: 'command_started', callId, command });
    // Setup commands come from the admin's config (installing dependencies needs the network),
    // so they run with network, in a sibling on the same checkout; the agent's commands do not.
    const result = await sandbox.exec(command, { timeoutMs: repo.limits.maxCommandTimeoutSec * 1000, network: true });
    const outputTail = `${result.stdout}${result.stderr}`.split('\n').slice(-20).join('\n').slice(-1500);
    await sink.emit({ type: 'command_finished', callId, command, exitCode: result.exitCode, durationMs: result.durationMs, timedOut: result.timedOut, outputTail });
    if (result.exitCode !== 0) {
      return new CodexError('setup_failed', `setup command failed: ${command}`, {
        userMessage: `The repo's setup command \`${command}\` failed (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}). Fix the "setup" commands of "${repo.name}" in the repo config, then reply here to try again.`,
      });
    }
  }
  return undefined;
}

/** The first turn of a `/codex plan` task: explore and propose, change nothing. */
function planning(task: TaskRecord): boolean {
  return task.mode === 'plan' && task.turn === 1;
}

const PLAN_ONLY = `Plan only, for now. Explore the repository and propose a concrete plan for the task below: which files to change and how, the tests to add or run, risks and open questions. Do not change any file: edits made in this turn are discarded. Publish the steps with update_plan, and end with the plan as your summary. The team will reply in the thread to carry it out or to change it.`;

/** A follow-up whose earlier turns left no conversation (they failed early) restates the original ask. */
async function turnPrompt(store: TaskStore, task: TaskRecord): Promise<string> {
  if (planning(task)) return `${PLAN_ONLY}\n\nThe task:\n${task.prompt}`;
  if (task.turn === 1 || !task.turnPrompt) return task.prompt;
  if (task.mode === 'plan' && task.turn === 2) return `The plan phase is over: you may change files now. Carry out the plan, adjusted by this reply:\n${task.turnPrompt}`;
  if (await store.load(task.id)) return task.turnPrompt;
  return `${task.prompt}\n\n(Follow-up from the thread:) ${task.turnPrompt}`;
}

function commitMessage(task: TaskRecord, summary?: string): string {
  const prompt = (task.turn === 1 ? task.prompt : (task.turnPrompt ?? task.prompt)).replace(/\s+/g, ' ').trim();
  const subject = `codex: ${prompt.length > 68 ? `${prompt.slice(0, 67)}…` : prompt}`;
  const body = [`Task ${task.id}${task.turn > 1 ? `, turn ${task.turn}` : ''}, asked by Slack user ${task.owner}.`];
  if (summary) body.push('', summary.slice(0, 4000));
  return `${subject}\n\n${body.join('\n')}\n`;
}
