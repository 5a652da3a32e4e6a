import type { Redis } from 'ioredis';
import type OpenAI from 'openai';
import { runAgent } from '../agent/index.js';
import { personalityOf, reviewPrompt, type DescribePerson } from '../agent/prompts.js';
import { resolveBudgets, type Config, type RepoConfig } from '../config.js';
import { CodexError, errorMessage } from '../errors.js';
import { taskLogger, type Logger } from '../logger.js';
import type { Checkpoints } from '../runner/checkpoints.js';
import type { Sandbox } from '../runner/sandbox.js';
import type { SetupCache } from '../runner/setup-cache.js';
import type { WarmPool } from '../runner/warm-pool.js';
import type { WarmSlot } from '../runner/warm-slot.js';
import type { TaskCheckout, Workspace } from '../runner/workspace.js';
import type { FinalEventInput, TaskLifecycle } from '../tasks/lifecycle.js';
import { handledOps, RedisEventSink, RedisOpSource } from '../tasks/redis-channels.js';
import { FINAL_STATUSES, type TaskRecord } from '../tasks/task-record.js';
import type { TaskStore } from '../tasks/task-store.js';
import type { JobData } from '../tasks/task-queue.js';
import { watchForCancel } from './cancel-watch.js';
import { checkpointRecorder, checkpointToResume, dropCheckpoints, pushesCheckpoints, restoreCheckpoint, type CheckpointRecorder } from './checkpoint-step.js';
import { watchCheckout, type CheckoutWatchdog } from './checkout-watchdog.js';
import { pushStep } from './push-step.js';
import { finishReview, resolveReviewTarget } from './review.js';
import { openPullRequest, updatePullRequest } from './pull-request.js';
import type { CodeHostFor } from '../codehost/index.js';
import { planSetup, setupMounts, setupStep } from './setup-step.js';

/** What running a task needs; built once per worker process in src/worker/start-worker.ts. */
export interface WorkerDeps {
  config: Config;
  logger: Logger;
  store: TaskStore;
  /** The only way the worker changes a task's status or turn. */
  lifecycle: TaskLifecycle;
  workspace: Workspace;
  openai: OpenAI;
  /** The sandbox of one run of a turn on its checkout (DockerSandbox in production), not started yet; on `warm` when given. */
  createSandbox: (repo: RepoConfig, checkout: TaskCheckout, runId: string, warm?: WarmSlot) => Sandbox;
  /** Removes the sandboxes of the task's runs other than `runId` (a stopped worker's), before this run makes its own. */
  reapSupersededRuns?: (taskId: string, runId: string) => Promise<void>;
  /** Sandboxes started ahead of tasks (config `sandbox.warmPool`); none: every turn starts its own. */
  warmPool?: Pick<WarmPool, 'claim'>;
  /** Opens a dedicated connection for a task's blocking op reads. */
  blockingRedis: () => Redis;
  /** How the agent names people to the model (the front end's mention syntax). */
  describePerson?: DescribePerson;
  /** Setup results by image, commands and lockfiles (src/runner/setup-cache.ts); none: setup always runs. */
  setupCache?: SetupCache;
  /** How often a running turn's checkout is measured against its limits (default CHECKOUT_WATCH_MS). */
  checkoutWatchMs?: number;
  /** Where each repo is hosted (pull requests, tokens); none for plain git remotes. */
  codeHosts?: CodeHostFor;
  /** Checkpoints of the work tree after each step (a killed worker's turn resumes from them); none: no checkpoints. */
  checkpoints?: Checkpoints;
}

/**
 * Runs one turn of a task: checkout (new branch, or the task's branch for a follow-up), sandbox,
 * setup commands, the agent, then a host-side commit, and cleanup. The sandbox and checkout are
 * always removed; the branch stays. Everything it does is told through the task's events (the
 * agent's through the sink, the turn's start and end through TaskLifecycle); renderers read
 * them from Redis, so nothing here knows Slack.
 */
export async function runTaskJob(deps: WorkerDeps, job: JobData, signal?: AbortSignal): Promise<void> {
  const task = await deps.lifecycle.beginTurn(job.taskId, job.turn);
  if (!task) return;
  const run = { turn: task.turn, runId: task.runId };
  const log = taskLogger(deps.logger, task.id).child({ runId: run.runId });
  const repo = deps.config.findRepo(task.repo);
  // Every event of this run is fenced: once another run owns the turn, emits throw.
  const sink = new RedisEventSink(deps.store, task.id, run.runId);
  const blocking = deps.blockingRedis();
  let checkout: TaskCheckout | undefined;
  let sandbox: Sandbox | undefined;
  let warm: WarmSlot | undefined;
  let watchdog: CheckoutWatchdog | undefined;
  let recorder: CheckpointRecorder | undefined;
  let final: FinalEventInput;
  let commit: string | undefined;
  // Until the agent reads the turn's operations itself, a cancel is watched for here.
  const cancel = watchForCancel(deps.store, task.id, task.opCursor ?? '0');
  const cancelled = () => {
    if (cancel.signal.aborted) throw new CancelledWhilePreparing(cancel.by());
  };
  try {
    if (!repo) throw new CodexError('repo_removed', `repo ${task.repo} is no longer configured`, { userMessage: `The repo "${task.repo}" is no longer in the configuration; ask an admin to add it back.` });

    // A run resuming a turn (its job was retried) reads the turn's operations again, minus those
    // the turn already handled.
    const ops = new RedisOpSource(deps.store, task.id, blocking, task.opCursor ?? '0', undefined, handledOps(await deps.store.readEvents(task.id)));
    // A follow-up (or a job retried after its worker died) continues the branch, which may also
    // come from upstream when it was pushed (another worker host ran the earlier turns); a first
    // turn, or a follow-up of a turn that failed before making the branch, starts it. No mirror
    // yet means no branch.
    const continues =
      (await deps.workspace.branchTip(repo, task.branch).catch(() => undefined)) !== undefined ||
      (task.turn > 1 && repo.pushBranches && (await deps.workspace.adoptUpstreamBranch(repo, task.branch)));
    const saved = await deps.store.load(task.id);
    if (!continues && task.turn > 1 && saved) {
      throw new CodexError('branch_not_found', `branch ${task.branch} is missing from the mirror`, {
        userMessage: `The task's branch ${task.branch} is not on this worker any more (its data directory was removed, or the follow-up ran on another host), so its earlier work cannot be continued. Start a new task with \`/codex task\`.`,
      });
    }
    cancelled();
    // A review's first turn checks out the branch under review (the task branch starts there).
    const review = reviewing(task) ? await resolveReviewTarget(task, repo, deps.codeHosts?.(repo)) : undefined;
    // Whatever an earlier run of this turn left running (its worker was killed) goes first,
    // before this run claims a sandbox of its own.
    await deps.reapSupersededRuns?.(task.id, run.runId);
    // A warm sandbox (if one is ready) mounts an empty directory: the checkout is made there.
    warm = await deps.warmPool?.claim(repo, task.id).catch(() => undefined);
    checkout = !continues
      ? await deps.workspace.createCheckout({ repo, taskId: task.id, runId: run.runId, prompt: task.prompt, branch: task.branch, baseBranch: review?.head ?? task.baseBranch, dir: warm?.workspaceDir })
      : await deps.workspace.continueCheckout({ repo, taskId: task.id, runId: run.runId, branch: task.branch, baseBranch: task.baseBranch, dir: warm?.workspaceDir });
    // A worker stopped in this turn: its files come back as they were after its last completed step.
    const policy = deps.config.approvalFor(repo, task.channel);
    const pushTo = pushesCheckpoints(repo, policy) ? repo.pushUrl : undefined;
    const resumeFrom = deps.checkpoints && checkpointToResume(task, saved);
    const restored = resumeFrom && deps.checkpoints && (await restoreCheckpoint({ checkpoints: deps.checkpoints, repo, checkout, ref: resumeFrom, fetchFrom: pushTo, log })) ? resumeFrom : undefined;
    // A setup cache hit is mounted into the sandbox, which unpacks it instead of running setup.
    const setupPlan = await planSetup(deps.setupCache, repo, checkout, log);
    const mounts = setupMounts(setupPlan);
    const mounted = mounts.length ? { ...checkout, readOnlyMounts: [...checkout.readOnlyMounts, ...mounts] } : checkout;
    const adopted = warm ? await warm.adopt(mounted.readOnlyMounts, (work) => deps.workspace.underRepoLock(repo.name, work)) : false;
    if (warm && !adopted) await warm.release();
    sandbox = deps.createSandbox(repo, mounted, run.runId, adopted ? warm : undefined);
    // The job's lock was lost (BullMQ may hand it to another run): stop everything this run
    // started; the fence refuses whatever it still tries to write.
    const started = sandbox;
    signal?.addEventListener('abort', () => void started.stop().catch(() => undefined), { once: true });
    cancelled();
    await sandbox.start();
    // A checkout growing past its limits (limits.diskMb, maxFiles) stops the turn from here.
    const watched = checkout;
    watchdog = watchCheckout(() => deps.workspace.checkSize(watched), { intervalMs: deps.checkoutWatchMs, logger: log });
    if (!(await deps.lifecycle.markWorking(task.id, run, { model: task.model, repo: repo.name, branch: task.branch }))) throw superseded(task.id);
    const measured = checkout;
    const probe = async () => {
      const size = await deps.workspace.measureCheckout(measured, { fingerprint: true });
      return { over: size.over !== undefined, fingerprint: size.fingerprint };
    };
    if (deps.checkpoints) recorder = checkpointRecorder({ checkpoints: deps.checkpoints, repo, checkout, sandbox, task, probe, parent: restored?.commit, pushTo, log });
    const setupSignal = AbortSignal.any([cancel.signal, watchdog.signal]);
    const setupFailure = await setupStep({ task, repo, checkout, policy, sandbox, events: sink, ops, plan: setupPlan, cache: deps.setupCache, log, signal: setupSignal });
    cancelled();
    if (setupFailure) throw setupFailure;
    cancel.stop();
    const reviewed = review ? await deps.workspace.branchDiff(repo, review.base, review.head) : undefined;

    const outcome = await runAgent(
      {
        taskId: task.id,
        mode: task.mode === 'review' ? 'task' : task.mode,
        turn: task.turn,
        prompt: review && reviewed ? reviewPrompt({ ...review, ...reviewed }) : task.prompt,
        turnPrompt: task.turnPrompt,
        attachments: task.turn > 1 ? task.turnAttachments : task.attachments,
        context: task.context,
        owner: task.owner,
        by: task.turnBy,
        repo: { name: repo.name, baseBranch: repo.baseBranch },
        model: task.model,
        personality: personalityOf(task.personality, deps.config.file.personalities),
        budgets: resolveBudgets(deps.config.file),
        approval: policy,
        limits: repo.limits,
        webSearch: deps.config.file.tools.webSearch,
        restored,
      },
      { sandbox, openai: deps.openai, events: sink, ops, store: deps.store.forRun(run.runId), attachments: deps.store, logger: log, describePerson: deps.describePerson, signal: watchdog.signal, checkpoint: recorder?.record },
    );

    // The commit must not walk a tree the sandbox can still change (finishCheckout measures it
    // again, now that nothing can), nor follow a run that lost the turn.
    watchdog.stop();
    await sandbox.stop();
    if (signal?.aborted && signal.reason === SHUTDOWN && (await deps.lifecycle.owns(task.id, run))) {
      // The worker is shutting down: keep what the turn did so far on the branch, for the run
      // that takes the job over (it continues the branch; the saved conversation resumes).
      await deps.workspace.finishCheckout(checkout, { message: `codex: work in progress on turn ${task.turn} (the worker stopped; the turn goes on elsewhere)\n\nTask ${task.id}.\n` });
      throw superseded(task.id);
    }
    if (signal?.aborted || !(await deps.lifecycle.owns(task.id, run))) throw superseded(task.id);
    // A planning turn changes nothing: whatever it wrote is dropped with the checkout.
    const result = planning(task) || review
      ? { committed: false, commitSha: checkout.startSha, diff: '', stat: { files: [], added: 0, removed: 0 } }
      : await deps.workspace.finishCheckout(checkout, { message: commitMessage(task, outcome.status === 'completed' ? outcome.summary : undefined) });
    commit = result.commitSha;
    // A cancel that came after the agent's last step still means: do nothing more.
    const lateCancel = await cancelledDuring(deps.store, task);
    const host = deps.codeHosts?.(repo);
    let summaryText = outcome.status === 'completed' ? outcome.summary : '';
    if (outcome.status === 'completed' && review && reviewed) {
      const done = await finishReview({ target: review, repo, host, text: outcome.summary, diff: reviewed.diff, headSha: reviewed.headSha });
      await sink.emit(done);
      summaryText = done.summary;
    }
    if (outcome.status === 'completed') {
      // The summary and the diff reach the thread before anything is pushed.
      if (result.diff.trim()) await deps.store.saveDiff(task.id, task.turn, result.diff);
      const diff = result.diff.trim() ? { turn: task.turn, bytes: Buffer.byteLength(result.diff) } : undefined;
      const summary = { summary: summaryText, diffStat: result.stat, branch: task.branch, commit: result.committed ? result.commitSha : undefined, diff, budget: outcome.budget, codeHost: host ? ('github' as const) : undefined };
      const current = (await deps.store.getTask(task.id)) ?? task;
      const autoPullRequest = host !== undefined && result.committed && !lateCancel && (current.pullRequest !== undefined || current.autoPullRequest === true || repo.autoPullRequest === true);
      await sink.emit({ type: 'turn_summarized', ...summary, ...(autoPullRequest ? { autoPullRequest } : {}) });
      if (result.committed && !lateCancel) {
        // A task with a pull request pushes to it; `--pr` or the repo's autoPullRequest opens one
        // (that is the person's approval of the push); otherwise the repo's pushBranches applies.
        const latest = { summary: outcome.summary, diffStat: result.stat };
        if (host && current.pullRequest) await updatePullRequest(deps, { task: current, repo, host, events: sink, ops, policy, commit: result.commitSha, summary: outcome.summary, diffStat: result.stat });
        else if (host && (current.autoPullRequest || repo.autoPullRequest)) await openPullRequest(deps, { task: current, repo, host, events: sink, by: task.turnBy ?? task.owner, latest });
        else if (repo.pushBranches) await pushStep({ task, repo, policy, commit: result.commitSha, diffStat: result.stat, workspace: deps.workspace, store: deps.store, events: sink, ops });
      }
      final = { type: 'task_completed', ...summary };
    } else if (outcome.status === 'cancelled') {
      final = { type: 'task_cancelled', by: outcome.by };
    } else {
      final = { type: 'task_failed', code: outcome.code, message: outcome.message };
    }
  } catch (e) {
    if (e instanceof CancelledWhilePreparing) {
      final = { type: 'task_cancelled', by: e.by };
    } else {
      const code = CodexError.isInstance(e) ? e.code : 'internal_error';
      const message = CodexError.isInstance(e) ? e.userMessage : `Something went wrong on the worker: ${errorMessage(e)}. Try again with a reply in this thread; if it keeps failing, tell whoever runs this bot.`;
      log.error({ err: e, code }, 'task failed');
      final = { type: 'task_failed', code, message };
    }
  } finally {
    cancel.stop();
    watchdog?.stop();
    await sandbox?.stop().catch((e: unknown) => log.warn({ err: e }, 'could not stop the sandbox'));
    await recorder?.close(); // after the sandbox: pushes in flight must not keep it running
    await warm?.release(); // claimed but never used (the checkout failed); idempotent
    if (checkout) await deps.workspace.removeCheckout(checkout).catch((e: unknown) => log.warn({ err: e }, 'could not remove the checkout'));
    blocking.disconnect();
  }
  // A run that lost its job's lock, or whose worker is shutting down, leaves the turn to the
  // run BullMQ hands the job to next.
  if (signal?.aborted) {
    log.warn({ reason: String(signal.reason) }, 'this run stopped before the end of its turn; the turn is left to the next run of the job');
    return;
  }
  // Only now, with the sandbox and checkout gone, does the turn end: a reply from here on
  // starts the next turn, while one before it was steering.
  const ended = await deps.lifecycle.endTurn(task.id, run, final, { commit }).catch((e: unknown) => {
    log.error({ err: e }, 'could not record the end of the turn');
    return undefined;
  });
  // The turn's work is in its commit (or was dropped): its checkpoints are not needed any more.
  if (ended && repo && deps.checkpoints) await dropCheckpoints({ checkpoints: deps.checkpoints, repo, taskId: task.id, pushedTo: pushesCheckpoints(repo, deps.config.approvalFor(repo, task.channel)) ? repo.pushUrl : undefined, log });
  if (!ended || ended.status === 'cancelled') return;
  // Replies that came in as the turn ended were acknowledged (👀) but never reached the model:
  // they become the next turn rather than being dropped. (A reply can no longer be added as
  // steering now that the record says ended: appendOpIfRunning.)
  try {
    if (await cancelledDuring(deps.store, task)) return;
    const leftover = await unappliedSteering(deps.store, ended, task.opCursor ?? '0');
    if (leftover) await deps.lifecycle.deliver(ended, leftover.text, leftover.by);
  } catch (e) {
    log.warn({ err: e }, 'could not queue the follow-up of late steering');
  }
}

/** The reason a worker gives BullMQ when it aborts its running jobs to shut down (start-worker). */
export const SHUTDOWN = 'shutdown';

/** A cancel came while the turn was being prepared (checkout, sandbox, setup). */
class CancelledWhilePreparing extends Error {
  constructor(readonly by: string | undefined) {
    super('cancelled while preparing the turn');
  }
}

function superseded(taskId: string): CodexError {
  return new CodexError('run_superseded', `task ${taskId}: another worker run owns this turn now`);
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
 * Fails a task whose job died outside runTaskJob's own handling (lost lock, Redis gone
 * mid-way, its worker killed), so that no task is left looking busy for ever.
 */
export async function failAbandonedTask(deps: Pick<WorkerDeps, 'store' | 'lifecycle'>, taskId: string, error: unknown): Promise<void> {
  const task = await deps.store.getTask(taskId);
  if (!task || FINAL_STATUSES.has(task.status)) return;
  // Its run died after writing the turn's final event: the turn did end, as that event says.
  if (task.ending) {
    await deps.lifecycle.finishEnding(taskId, task.turn);
    return;
  }
  const message = `The worker running this task stopped unexpectedly (${errorMessage(error)}). Reply in this thread to try again.`;
  await deps.lifecycle.fail(taskId, 'worker_lost', message, { turn: task.turn });
}

/** The first turn of a `/codex review` task: read the change, report findings, change nothing. */
function reviewing(task: TaskRecord): boolean {
  return task.mode === 'review' && task.turn === 1;
}

/** The first turn of a `/codex plan` task: explore and propose, change nothing. */
function planning(task: TaskRecord): boolean {
  return task.mode === 'plan' && task.turn === 1;
}

function commitMessage(task: TaskRecord, summary?: string): string {
  const prompt = (task.turn === 1 ? task.prompt : (task.turnPrompt ?? task.prompt)).replace(/\s+/g, ' ').trim();
  const subject = `codex: ${prompt.length > 68 ? `${prompt.slice(0, 67)}…` : prompt}`;
  const body = [`Task ${task.id}${task.turn > 1 ? `, turn ${task.turn}` : ''}, asked by Slack user ${task.owner}.`];
  if (summary) body.push('', summary.slice(0, 4000));
  return `${subject}\n\n${body.join('\n')}\n`;
}
