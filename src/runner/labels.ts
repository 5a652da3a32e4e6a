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
 * an installation's egress proxies and their internal networks (egress.ts; no task id, never reaped).
 */
export const LABEL_ROLE = 'codex.role';

/**
 * The worker run (TaskRecord.runId) and the worker process (its id) that made the container: a
 * run that takes a turn over removes the containers of the task's earlier runs at once (see
 * reapSupersededRuns), without waiting for the task to end.
 */
export const LABEL_RUN_ID = 'codex.run-id';
export const LABEL_WORKER = 'codex.worker';

export const DEFAULT_PROJECT = 'codex-slack';

export type ContainerRole = 'sandbox' | 'network' | 'egress';
