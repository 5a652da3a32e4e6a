import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createDockerClient } from '../runner/docker-client.js';
import { reapOrphans } from '../runner/reap-orphans.js';
import { createTaskSandbox } from '../runner/task-sandbox.js';
import { Workspace } from '../runner/workspace.js';
import type { DescribePerson } from '../agent/prompts.js';
import { createCodeHosts } from '../codehost/index.js';
import { TaskLifecycle } from '../tasks/lifecycle.js';
import { RenderProgress } from '../tasks/render-progress.js';
import { jobDataSchema, jobIdFor, QUEUE_NAME, TaskQueue, type JobData } from '../tasks/task-queue.js';
import { FINAL_STATUSES } from '../tasks/task-record.js';
import { TaskStore } from '../tasks/task-store.js';
import { removeHeartbeat, writeHeartbeat } from '../tasks/worker-health.js';
import { failAbandonedTask, runTaskJob, type WorkerDeps } from './run-task-job.js';
import { warnUnreachable } from './warn-unreachable.js';
import { runDeliveryJob } from './delivery-job.js';

const HEARTBEAT_MS = 5_000;
const REAP_MS = 5 * 60_000;
const SWEEP_MS = 60_000;
const SWEEP_GRACE_MS = 2 * 60_000;
/** A turn's end waits at most this long for its summary to reach Slack (see TaskLifecycle.endTurn): as long as Slack's rate limits make it take, but not for ever. */
const DELIVERY_WAIT_MS = 10 * 60_000;

export interface RunningWorker {
  id: string;
  /** Fails tasks left busy with no live job (runs every few minutes by itself). */
  sweep(): Promise<void>;
  /** Stops taking jobs, lets running tasks finish (up to `graceMs`), then closes. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * A worker process: takes task jobs from the BullMQ queue (concurrency from config), runs each
 * with runTaskJob, announces itself and its Docker health in Redis, and removes orphaned
 * sandboxes of tasks that no longer run.
 */
export async function startWorker(input: { config: Config; logger: Logger; redisUrl: string; prefix: string; bullPrefix: string; describePerson?: DescribePerson }): Promise<RunningWorker> {
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
  const deps: WorkerDeps = {
    config,
    logger,
    store,
    lifecycle: new TaskLifecycle(store, followUps, { progress: new RenderProgress(redis, prefix), timeoutMs: DELIVERY_WAIT_MS }),
    workspace: new Workspace({ dataDir: config.dataDir, logger, gitAuth }),
    codeHosts,
    openai: new OpenAI({ apiKey: config.env.OPENAI_API_KEY, baseURL: config.env.OPENAI_BASE_URL, maxRetries: 0 }),
    // Sandboxes carry the installation's prefix as their `codex.project` label: orphan reaping
    // only ever touches containers of this installation.
    createSandbox: (repo, checkout) => createTaskSandbox({ repo, checkout, docker, project: prefix, logger }),
    describePerson: input.describePerson,
    blockingRedis: () => {
      const blocking = new Redis(input.redisUrl, { maxRetriesPerRequest: null });
      blocking.on('error', (e) => logger.debug({ err: e }, 'task op reader redis connection error'));
      return blocking;
    },
  };

  const running = new Set<string>();
  const isLive = async (taskId: string) => {
    if (running.has(taskId)) return true;
    // A task another worker runs is live; one that ended, or vanished, is not. A Redis error
    // propagates, and reapOrphans then keeps the container: never remove what may be running.
    const task = await store.getTask(taskId);
    return task !== undefined && !FINAL_STATUSES.has(task.status) && task.status !== 'queued';
  };
  // Containers and checkouts of tasks that no longer run (a worker died mid-task) are removed;
  // their branches stay.
  const reap = async () => {
    await reapOrphans({ isLive, docker, project: prefix, logger }).then(
      (r) => r.removed.length && logger.info({ removed: r.removed }, 'removed orphaned sandboxes'),
      (e: unknown) => logger.warn({ err: e }, 'could not reap orphaned sandboxes'),
    );
    await deps.workspace.reapCheckouts({ isLive }).catch((e: unknown) => logger.warn({ err: e }, 'could not reap orphaned checkouts'));
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
  await reap();
  const reaper = setInterval(() => void reap(), REAP_MS);
  const sweeper = setInterval(() => void sweep().catch((e: unknown) => logger.warn({ err: e }, 'could not sweep abandoned tasks')), SWEEP_MS);

  const worker = new Worker<JobData>(
    QUEUE_NAME,
    async (job) => {
      const data = jobDataSchema.parse(job.data);
      // A delivery step (a click on an ended turn) runs beside the task, never as a turn of it.
      if (data.delivery) return runDeliveryJob(deps, data.taskId, data.delivery);
      running.add(data.taskId);
      try {
        await runTaskJob(deps, data);
      } finally {
        running.delete(data.taskId);
      }
    },
    { connection: { url: input.redisUrl, maxRetriesPerRequest: null }, prefix: input.bullPrefix, concurrency: config.env.WORKER_CONCURRENCY, lockDuration: 60_000, maxStalledCount: 2 },
  );
  worker.on('error', (e) => logger.warn({ err: e }, 'worker error'));
  // runTaskJob settles every task it starts; a job that failed around it (Redis vanished
  // mid-way) still leaves the task in a final state. Stalled jobs: see `sweep`.
  worker.on('failed', (job, e) => {
    logger.error({ err: e, jobId: job?.id }, 'job failed');
    const data = jobDataSchema.safeParse(job?.data);
    if (data.success && !data.data.delivery) void failAbandonedTask(deps, data.data.taskId, e).catch((err: unknown) => logger.warn({ err }, 'could not mark the task failed'));
  });
  logger.info({ workerId: id, concurrency: config.env.WORKER_CONCURRENCY }, 'worker started');
  void warnUnreachable(config, logger, docker, gitAuth); // one warning line per missing image or unfetchable repo

  return {
    id,
    sweep,
    async stop(graceMs = 120_000) {
      clearInterval(heartbeat);
      clearInterval(reaper);
      clearInterval(sweeper);
      // close() stops taking jobs and waits for the running ones. Past the grace period, stop
      // waiting: a later close(true) would only return this same pending close (BullMQ), and the
      // jobs left running are resumed elsewhere once their locks expire.
      const closing = worker.close();
      const timedOut = await Promise.race([closing.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
      if (timedOut) logger.warn({ workerId: id, running: [...running] }, 'tasks still running after the grace period; stopping without them');
      await removeHeartbeat(redis, prefix, id).catch(() => undefined);
      await followUps.close().catch(() => undefined);
      redis.disconnect();
      logger.info({ workerId: id }, 'worker stopped');
    },
  };
}
