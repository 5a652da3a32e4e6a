import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { Checkpoints } from '../runner/checkpoints.js';
import { createDockerClient } from '../runner/docker-client.js';
import { reapOrphans, reapSupersededRuns, removeWorkerContainers } from '../runner/reap-orphans.js';
import { snapshotSkills } from '../runner/skills-snapshot.js';
import { createTaskSandbox } from '../runner/task-sandbox.js';
import { SetupCache } from '../runner/setup-cache.js';
import { reapWarmSandboxes, WarmPool, warmShapes } from '../runner/warm-pool.js';
import { sandboxUserFor } from '../runner/sandbox-user.js';
import { Workspace } from '../runner/workspace.js';
import type { DescribePerson } from '../agent/prompts.js';
import { AdmissionControl } from '../tasks/admission.js';
import { createCodeHosts } from '../codehost/index.js';
import { TaskLifecycle } from '../tasks/lifecycle.js';
import { RenderProgress } from '../tasks/render-progress.js';
import { jobDataSchema, jobIdFor, QUEUE_NAME, TaskQueue, type JobData } from '../tasks/task-queue.js';
import { FINAL_STATUSES } from '../tasks/task-record.js';
import { TaskStore } from '../tasks/task-store.js';
import { readHeartbeats, removeHeartbeat, writeHeartbeat } from '../tasks/worker-health.js';
import { runAdmitted } from './admit-job.js';
import { failAbandonedTask, runTaskJob, SHUTDOWN, type WorkerDeps } from './run-task-job.js';
import { holdLock } from './hold-lock.js';
import { warnUnreachable } from './warn-unreachable.js';
import { runDeliveryJob } from './delivery-job.js';
import { withTimeout } from '../util/with-timeout.js';

const HEARTBEAT_MS = 5_000;
const REAP_MS = 5 * 60_000;
const SWEEP_MS = 60_000;
const SWEEP_GRACE_MS = 2 * 60_000;
/** On shutdown, running turns get this long to finish before they are handed back to the queue. */
const HAND_BACK_AFTER_MS = 15_000;
/** How long each Redis call of the shutdown may take: Redis may be gone, and the process must exit anyway. */
const SHUTDOWN_CALL_MS = 2_000;
/** How long removing this worker's sandboxes at the end of a shutdown may take (the Docker engine may be gone). */
const SHUTDOWN_DOCKER_MS = 10_000;
/** A turn's end waits at most this long for its summary to reach Slack (see TaskLifecycle.endTurn): as long as Slack's rate limits make it take, but not for ever. */
const DELIVERY_WAIT_MS = 10 * 60_000;

export interface RunningWorker {
  id: string;
  /** Fails tasks left busy with no live job (runs every few minutes by itself). */
  sweep(): Promise<void>;
  /** Deletes upstream the checkpoint refs that ended tasks pushed (runs with every reap by itself). */
  reapPushedCheckpoints(): Promise<void>;
  /**
   * Stops taking jobs and lets running turns finish for `handBackAfterMs`; those still running
   * are then handed back to the queue with their work saved; after `graceMs` in all, closes.
   */
  stop(graceMs?: number, handBackAfterMs?: number): Promise<void>;
}

/** BullMQ's lock timings; only tests change them (to lose a lock within seconds). */
export interface WorkerTuning {
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/**
 * A worker process: takes task jobs from the BullMQ queue (concurrency from config), runs each
 * with runTaskJob, announces itself and its Docker health in Redis, and removes orphaned
 * sandboxes of tasks that no longer run.
 */
export async function startWorker(input: { config: Config; logger: Logger; redisUrl: string; prefix: string; bullPrefix: string; describePerson?: DescribePerson; tuning?: WorkerTuning }): Promise<RunningWorker> {
  const { config, logger, prefix } = input;
  const id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const docker = createDockerClient(config.env.DOCKER_HOST);
  // Unlike the app's fail-fast connection, the worker's waits out a Redis restart: a running
  // task's events and final status must not be dropped because Redis blinked.
  const redis = new Redis(input.redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', (e) => logger.debug({ err: e }, 'worker redis connection error'));
  const store = new TaskStore(redis, prefix);
  const followUps = new TaskQueue({ url: input.redisUrl, maxRetriesPerRequest: null }, input.bullPrefix);
  followUps.queue.on('error', (e) => logger.debug({ err: e }, 'follow-up queue connection error'));
  // Repos on a code host fetch and push with its short-lived token, asked for per git operation.
  const codeHosts = createCodeHosts(config, logger);
  const gitAuth = async (repoName: string) => {
    const repo = config.findRepo(repoName);
    const host = repo ? codeHosts(repo) : undefined;
    return repo && host ? host.gitCredentials(repo) : undefined;
  };
  const skillsDir = config.file.skillsDir ? await snapshotSkills(config.file.skillsDir, config.dataDir) : undefined;
  const warmPool = new WarmPool({
    docker,
    project: prefix,
    dataDir: config.dataDir,
    owner: id,
    size: config.file.sandbox.warmPool,
    maxAgeMs: config.file.sandbox.warmMaxAgeMinutes * 60_000,
    user: sandboxUserFor(),
    skillsDir,
    logger,
  });
  const deps: WorkerDeps = {
    config,
    logger,
    store,
    lifecycle: new TaskLifecycle(store, followUps, { progress: new RenderProgress(redis, prefix), timeoutMs: DELIVERY_WAIT_MS }),
    workspace: new Workspace({ dataDir: config.dataDir, logger, gitAuth }),
    checkpoints: new Checkpoints({ dataDir: config.dataDir, gitAuth }),
    codeHosts,
    setupCache: new SetupCache({ dir: join(config.dataDir, 'setup-cache'), maxBytes: config.file.cache.maxGb * 1024 ** 3, docker, logger }),
    openai: new OpenAI({ apiKey: config.env.OPENAI_API_KEY, baseURL: config.env.OPENAI_BASE_URL, maxRetries: 0 }),
    // Sandboxes carry the installation's prefix as their `codex.project` label: orphan reaping
    // only ever touches containers of this installation.
    createSandbox: (repo, checkout, runId, warm) => createTaskSandbox({ repo, checkout, docker, project: prefix, runId, workerId: id, logger, skillsDir, warm, egressImage: config.env.CODEX_EGRESS_IMAGE }),
    reapSupersededRuns: async (taskId, runId) => {
      const removed = await reapSupersededRuns({ docker, project: prefix, taskId, runId }).catch((e: unknown) => {
        logger.warn({ err: e, taskId }, 'could not remove the sandboxes of earlier runs of the task');
        return [];
      });
      if (removed.length) logger.info({ taskId, removed }, 'removed the sandboxes of a stopped run of the task');
    },
    warmPool,
    describePerson: input.describePerson,
    blockingRedis: () => {
      const blocking = new Redis(input.redisUrl, { maxRetriesPerRequest: null });
      blocking.on('error', (e) => logger.debug({ err: e }, 'task op reader redis connection error'));
      return blocking;
    },
  };

  const running = new Set<string>();
  const limits = config.file.limits;
  const admission = new AdmissionControl(redis, prefix, { maxRunning: limits.maxRunningTasks ?? 0, maxPerUser: limits.maxRunningTasksPerUser ?? 0 });
  const isLive = async (taskId: string) => {
    if (running.has(taskId)) return true;
    // A task another worker runs is live; one that ended, or vanished, is not. A Redis error
    // propagates, and reapOrphans then keeps the container: never remove what may be running.
    const task = await store.getTask(taskId);
    return task !== undefined && !FINAL_STATUSES.has(task.status) && task.status !== 'queued';
  };
  // Containers and checkouts of tasks that no longer run (a worker died mid-task) are removed;
  // their branches stay. Then the mirrors get their `git gc --auto`.
  let maintaining: Promise<unknown> | undefined;
  // Claimed warm sandboxes whose task did not run at the last reap (removed if still so at the next).
  const warmSuspects = new Set<string>();
  let reapingPushed: Promise<unknown> | undefined;
  const isEnded = async (taskId: string) => {
    const task = await store.getTask(taskId);
    return task !== undefined && FINAL_STATUSES.has(task.status);
  };
  const reapPushedCheckpoints = async () => {
    for (const repo of config.repos.filter((r) => r.pushBranches)) {
      await deps.checkpoints?.reapPushed(repo, repo.pushUrl, isEnded).then(
        (ids) => ids.length && logger.info({ repo: repo.name, tasks: ids }, 'deleted the pushed checkpoints of ended tasks'),
        (e: unknown) => logger.warn({ err: e, repo: repo.name }, 'could not reap the pushed checkpoints of ended tasks'),
      );
    }
  };
  const reap = async (atStart = false) => {
    // Warm sandboxes (claimed or not) of workers whose heartbeat is gone, and at start every one
    // an earlier process on this data directory left.
    await readHeartbeats(redis, prefix)
      .then((beats) => reapWarmSandboxes({ docker, project: prefix, dataDir: config.dataDir, liveOwners: new Set([id, ...beats.map((b) => b.id)]), isLive, atStart, logger, suspects: warmSuspects }))
      .catch((e: unknown) => logger.warn({ err: e }, 'could not reap warm sandboxes'));
    await reapOrphans({ isLive, docker, project: prefix, logger }).then(
      (r) => r.removed.length && logger.info({ removed: r.removed }, 'removed orphaned sandboxes'),
      (e: unknown) => logger.warn({ err: e }, 'could not reap orphaned sandboxes'),
    );
    await deps.workspace.reapCheckouts({ isLive }).catch((e: unknown) => logger.warn({ err: e }, 'could not reap orphaned checkouts'));
    await deps.checkpoints?.reap(isLive).catch((e: unknown) => logger.warn({ err: e }, 'could not reap the checkpoints of ended tasks'));
    // Checkpoints pushed upstream by a turn whose worker died (the sweep then failed its task)
    // are deleted there too, in the background: it asks the network.
    reapingPushed ??= reapPushedCheckpoints().finally(() => (reapingPushed = undefined));
    // Mirrors are garbage-collected here too (`gc --auto`: cheap when there is nothing to do),
    // in the background so a long gc delays neither the start nor the next reap.
    maintaining ??= deps.workspace.maintainMirrors().finally(() => (maintaining = undefined));
  };

  // A job can end without runTaskJob ending its task: the stalled-job checker fails a job whose
  // worker died too often, and emits no 'failed' event here. Tasks left busy with no live job
  // are failed (after a grace period, so a follow-up being queued right now is not).
  const sweep = async () => {
    for (const taskId of await store.activeTaskIds()) {
      if (running.has(taskId)) continue;
      const task = await store.getTask(taskId);
      if (!task || FINAL_STATUSES.has(task.status) || Date.now() - Date.parse(task.updatedAt) < SWEEP_GRACE_MS) continue;
      const job = await followUps.queue.getJob(jobIdFor(task.id, task.turn));
      const state = job ? await job.getState() : 'missing';
      if (state === 'failed' || state === 'completed' || state === 'missing' || state === 'unknown') {
        await failAbandonedTask(deps, task.id, new Error(`its job is ${state}`));
      }
    }
  };

  const beat = async () => {
    const dockerOk = await docker.ping().then(() => true, () => false);
    await writeHeartbeat(redis, prefix, { id, docker: dockerOk, at: Date.now(), concurrency: config.env.WORKER_CONCURRENCY }).catch((e: unknown) => logger.warn({ err: e }, 'could not write worker heartbeat'));
  };
  await beat();
  const heartbeat = setInterval(beat, HEARTBEAT_MS);
  await reap(true);
  const reaper = setInterval(() => void reap(), REAP_MS);
  warmPool.start(warmShapes(config.repos));
  const sweeper = setInterval(() => void sweep().catch((e: unknown) => logger.warn({ err: e }, 'could not sweep abandoned tasks')), SWEEP_MS);

  const lockMs = input.tuning?.lockDurationMs ?? 60_000;
  const worker = new Worker<JobData>(
    QUEUE_NAME,
    async (job, token, signal) => {
      const data = jobDataSchema.parse(job.data);
      // A delivery step (a click on an ended turn) runs beside the task, never as a turn of it.
      if (data.delivery) return runDeliveryJob(deps, data.taskId, data.delivery);
      // Over a running-task cap, the turn waits in line without holding this worker slot.
      await runAdmitted({
        admission,
        job,
        token,
        taskId: data.taskId,
        owner: async () => (await store.getTask(data.taskId))?.owner,
        onPlace: (place) => deps.lifecycle.waitInLine(data.taskId, data.turn, place),
        run: async () => {
          running.add(data.taskId);
          const lock = holdLock(job, token!, lockMs, logger);
          try {
            await runTaskJob(deps, data, signal ? AbortSignal.any([signal, lock.signal]) : lock.signal);
          } finally {
            lock.stop();
            running.delete(data.taskId);
          }
        },
      });
      // Shutting down: the turn's work so far is on its branch; hand the job back to the queue
      // so another worker (or this one, restarted) carries the turn on.
      if (signal?.aborted && signal.reason === SHUTDOWN) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
    },
    {
      connection: { url: input.redisUrl, maxRetriesPerRequest: null },
      prefix: input.bullPrefix,
      concurrency: config.env.WORKER_CONCURRENCY,
      lockDuration: lockMs,
      stalledInterval: input.tuning?.stalledIntervalMs ?? 30_000,
      maxStalledCount: 2,
    },
  );
  worker.on('error', (e) => logger.warn({ err: e }, 'worker error'));
  // A job whose lock could not be renewed may already run elsewhere: abort this run of it (its
  // writes are fenced by the task's run id anyway, see TaskLifecycle.beginTurn).
  worker.on('lockRenewalFailed', (jobIds) => {
    logger.warn({ jobIds }, 'lost the lock of running jobs; aborting them here');
    for (const id of jobIds) worker.cancelJob(id, 'lock lost');
  });
  // runTaskJob settles every task it starts; a job that failed around it (Redis vanished
  // mid-way) still leaves the task in a final state. Stalled jobs: see `sweep`.
  worker.on('failed', (job, e) => {
    logger.error({ err: e, jobId: job?.id }, 'job failed');
    const data = jobDataSchema.safeParse(job?.data);
    if (!data.success || data.data.delivery || running.has(data.data.taskId)) return;
    // A run that lost its lock "fails" here while the job runs on elsewhere: leave that task alone.
    void (async () => {
      const state = job ? await job.getState().catch(() => 'unknown') : 'unknown';
      if (state === 'active' || state === 'waiting' || state === 'delayed' || state === 'prioritized') return;
      await failAbandonedTask(deps, data.data.taskId, e);
    })().catch((err: unknown) => logger.warn({ err }, 'could not mark the task failed'));
  });
  logger.info({ workerId: id, concurrency: config.env.WORKER_CONCURRENCY }, 'worker started');
  void warnUnreachable(config, logger, docker, gitAuth); // one warning line per missing image or unfetchable repo

  return {
    id,
    sweep,
    reapPushedCheckpoints,
    async stop(graceMs = config.env.CODEX_STOP_GRACE_SEC * 1000, handBackAfterMs = HAND_BACK_AFTER_MS) {
      clearInterval(heartbeat);
      clearInterval(reaper);
      clearInterval(sweeper);
      await withTimeout(warmPool.stop(), SHUTDOWN_DOCKER_MS).catch((e: unknown) => logger.warn({ err: e }, 'could not remove the warm sandboxes'));
      // close() stops taking jobs and waits for the running ones. Turns that are not done within
      // the hand-back time are handed back: their runs save the work tree on the task branch and
      // return the job to the queue (see the processor). Past the grace period, stop waiting: the
      // jobs left are resumed elsewhere once their locks expire.
      const closing = worker.close();
      const wait = (ms: number) => Promise.race([closing.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
      // Half the grace period at most, so the turns handed back have time to stop their sandboxes.
      const handBackAt = Math.min(handBackAfterMs, graceMs / 2);
      if (!(await wait(handBackAt))) {
        logger.info({ workerId: id, running: [...running] }, 'handing running tasks back to the queue');
        worker.cancelAllJobs(SHUTDOWN);
        if (!(await wait(Math.max(0, graceMs - handBackAt)))) {
          // Their runs are stuck (Redis or Docker gone): remove their sandboxes here, so nothing
          // of this process keeps running; the turns resume elsewhere once their locks expire.
          logger.warn({ workerId: id, running: [...running] }, 'tasks still running after the grace period; removing their sandboxes and stopping without them');
          await withTimeout(removeWorkerContainers({ docker, project: prefix, workerId: id }), SHUTDOWN_DOCKER_MS).catch((e: unknown) => logger.warn({ err: e }, 'could not remove the sandboxes of this worker'));
        }
      }
      // Each bounded: with Redis gone, these would wait for it for ever.
      await withTimeout(removeHeartbeat(redis, prefix, id), SHUTDOWN_CALL_MS).catch(() => undefined);
      await withTimeout(followUps.close(), SHUTDOWN_CALL_MS).catch(() => undefined);
      redis.disconnect();
      logger.info({ workerId: id }, 'worker stopped');
    },
  };
}
