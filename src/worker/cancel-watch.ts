import type { TaskStore } from '../tasks/task-store.js';

/**
 * Watches a turn's operations for a cancel while the worker prepares it (checkout, sandbox,
 * setup), before the agent reads operations itself: a cancel then aborts `signal` (a running
 * setup command is killed) and `by` says who. Stop it before the agent starts.
 */
export function watchForCancel(store: TaskStore, taskId: string, fromOpId: string, everyMs = 1_000): { signal: AbortSignal; by(): string | undefined; stop(): void } {
  const controller = new AbortController();
  let by: string | undefined;
  let stopped = false;
  const check = async () => {
    const cancel = (await store.readOps(taskId, fromOpId).catch(() => [])).find(({ op }) => op.type === 'cancel');
    if (cancel && !stopped) {
      by = cancel.op.by;
      controller.abort('cancel');
    }
  };
  const timer = setInterval(() => void check(), everyMs);
  timer.unref();
  void check();
  return {
    signal: controller.signal,
    by: () => by,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
