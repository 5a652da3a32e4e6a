/**
 * Labels on every container the runner creates. `reapOrphans` finds containers only through
 * them, so a container without them would leak; container-spec.ts is the one place that sets
 * them and reap-orphans.ts the one that reads them.
 */
export const LABEL_TASK_ID = 'codex.task-id';
/** The installation (several may share one Docker engine); reaping never crosses it. */
export const LABEL_PROJECT = 'codex.project';
/**
 * `sandbox` for a task's long-lived container, `network` for a one-command sibling, `egress` for
 * an installation's egress proxies and their internal networks (egress.ts; no task id, never reaped),
 * `warm` for a container of the warm pool (warm-pool.ts; no task id, claimed or not: labels cannot
 * change, so a claimed one is reaped with its pool, by owner, never by reapOrphans).
 */
export const LABEL_ROLE = 'codex.role';
/** On `warm` containers: the worker that created them (its heartbeat id in Redis). */
export const LABEL_POOL_OWNER = 'codex.pool-owner';
/** On `warm` containers: a hash of the worker's data directory, which one worker process uses at a time. */
export const LABEL_POOL_DATA = 'codex.pool-data';

/**
 * The worker run (TaskRecord.runId) and the worker process (its id) that made the container: a
 * run that takes a turn over removes the containers of the task's earlier runs at once (see
 * reapSupersededRuns), without waiting for the task to end.
 */
export const LABEL_RUN_ID = 'codex.run-id';
export const LABEL_WORKER = 'codex.worker';

export const DEFAULT_PROJECT = 'codex-slack';

export type ContainerRole = 'sandbox' | 'network' | 'egress' | 'warm';
