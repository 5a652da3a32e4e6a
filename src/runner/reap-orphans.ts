import Docker from 'dockerode';
import { silentLogger, type Logger } from '../logger.js';
import { DEFAULT_PROJECT, LABEL_POOL_OWNER, LABEL_PROJECT, LABEL_ROLE, LABEL_RUN_ID, LABEL_TASK_ID, LABEL_WORKER } from './labels.js';
import { claimedTask } from './warm-pool.js';

export interface ReapOptions {
  /** True when the task still runs somewhere; its containers are left alone. */
  isLive: (taskId: string) => boolean | Promise<boolean>;
  docker?: Docker;
  /** Only containers with this `codex.project` label are considered (default `codex-slack`). */
  project?: string;
  logger?: Logger;
  /**
   * Containers younger than this are left alone (default 60 s): a worker creates a task's
   * sandbox before every store may show the task as live, and the reaper must not race it.
   */
  minAgeMs?: number;
}

export interface ReapResult {
  /** Names of the removed containers. */
  removed: string[];
  /** Names of the containers left alone because their task is live. */
  kept: string[];
}

/**
 * Removes the sandbox and network-sibling containers of tasks that no longer run: a worker that
 * crashed or was killed leaves its containers behind. Run it at worker start and now and then.
 * Containers are found only by their labels (labels.ts), so nothing outside this project is
 * ever touched: give each installation sharing a Docker engine its own `project` (the same
 * value its DockerSandboxes get), or one installation's reaper removes the other's sandboxes.
 * A container whose liveness check throws is kept.
 */
export async function reapOrphans(options: ReapOptions): Promise<ReapResult> {
  const docker = options.docker ?? new Docker();
  const log = options.logger ?? silentLogger();
  const project = options.project ?? DEFAULT_PROJECT;
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL_PROJECT}=${project}`] } });
  const result: ReapResult = { removed: [], kept: [] };
  const liveness = new Map<string, Promise<boolean>>();
  for (const info of containers) {
    const name = info.Names[0]?.replace(/^\//, '') ?? info.Id;
    const taskId = info.Labels[LABEL_TASK_ID];
    if (!taskId) continue;
    if (Date.now() - info.Created * 1000 < (options.minAgeMs ?? 60_000)) {
      result.kept.push(name);
      continue;
    }
    if (!liveness.has(taskId)) liveness.set(taskId, Promise.resolve(options.isLive(taskId)).catch(() => true));
    if (await liveness.get(taskId)) {
      result.kept.push(name);
      continue;
    }
    try {
      await docker.getContainer(info.Id).remove({ force: true });
      result.removed.push(name);
      log.info({ taskId, container: name }, 'removed orphaned sandbox container');
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) continue;
      log.warn({ err: e, taskId, container: name }, 'could not remove orphaned sandbox container');
    }
  }
  return result;
}

/**
 * Removes the containers of task `taskId` made by runs other than `runId`: a run that takes a
 * turn over (its worker was killed, or lost the job's lock) calls it before it makes its own
 * sandbox, so the stopped run's containers neither linger until the task ends nor keep
 * changing files. Containers without a run label (made before the label existed) are left to
 * reapOrphans. A warm sandbox claimed for the task by an earlier run goes too (call this before
 * the run claims its own). Returns the names of the removed containers.
 */
export async function reapSupersededRuns(options: { docker: Docker; project: string; taskId: string; runId: string }): Promise<string[]> {
  const { docker } = options;
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL_PROJECT}=${options.project}`, `${LABEL_TASK_ID}=${options.taskId}`, LABEL_RUN_ID] } });
  const stale = containers.filter((c) => c.Labels[LABEL_RUN_ID] !== options.runId);
  // A warm sandbox an earlier run claimed carries no task or run label (it was made before any
  // task); its name says whose it is. This is called before the run claims one of its own.
  const warm = await docker.listContainers({ all: true, filters: { label: [`${LABEL_PROJECT}=${options.project}`, `${LABEL_ROLE}=warm`] } });
  stale.push(...warm.filter((c) => claimedTask(options.project, c.Names[0]?.replace(/^\//, '') ?? '') === options.taskId));
  const removed: string[] = [];
  for (const info of stale) {
    await docker.getContainer(info.Id).remove({ force: true }).then(
      () => removed.push(info.Names[0]?.replace(/^\//, '') ?? info.Id),
      (e: { statusCode?: number }) => {
        if (e.statusCode !== 404) throw e;
      },
    );
  }
  return removed;
}

/** Removes every container worker `workerId` made (its `codex.worker` label): the end of a shutdown whose turns did not stop in time. */
export async function removeWorkerContainers(options: { docker: Docker; project: string; workerId: string }): Promise<string[]> {
  const { docker } = options;
  const made = await docker.listContainers({ all: true, filters: { label: [`${LABEL_PROJECT}=${options.project}`, `${LABEL_WORKER}=${options.workerId}`] } });
  // Its warm sandboxes (claimed or not) carry the pool's owner label instead.
  const warm = await docker.listContainers({ all: true, filters: { label: [`${LABEL_PROJECT}=${options.project}`, `${LABEL_POOL_OWNER}=${options.workerId}`] } });
  const containers = [...made, ...warm.filter((w) => !made.some((m) => m.Id === w.Id))];
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch((e: { statusCode?: number }) => (e.statusCode === 404 ? undefined : Promise.reject(e)))));
  return containers.map((c) => c.Names[0]?.replace(/^\//, '') ?? c.Id);
}
