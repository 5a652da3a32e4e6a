import type { CodeHostFor } from '../codehost/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Workspace } from '../runner/workspace.js';
import { RedisEventSink } from '../tasks/redis-channels.js';
import type { DeliveryRequest } from '../tasks/task-queue.js';
import { FINAL_STATUSES } from '../tasks/task-record.js';
import type { TaskStore } from '../tasks/task-store.js';
import { openPullRequest } from './pull-request.js';
import { undoTurn } from './undo.js';

export interface DeliveryDeps {
  config: Config;
  logger: Logger;
  store: TaskStore;
  workspace: Workspace;
  codeHosts?: CodeHostFor;
}

/**
 * A person's click carried out by a worker: open the task's pull request, or undo a turn. It
 * never throws (a failed delivery is told in the thread, and never fails the task); its
 * outcome is the events it appends.
 */
export async function runDeliveryJob(deps: DeliveryDeps, taskId: string, request: DeliveryRequest): Promise<void> {
  const events = new RedisEventSink(deps.store, taskId);
  try {
    const task = await deps.store.getTask(taskId);
    if (!task) return;
    const repo = deps.config.findRepo(task.repo);
    const refuse = (message: string) =>
      request.action === 'undo' ? events.emit({ type: 'branch_reset_failed', turn: request.turn, message, by: request.by }) : events.emit({ type: 'pull_request_failed', message, by: request.by });
    if (!repo) return void (await refuse(`The repo "${task.repo}" is no longer in the configuration; ask an admin to add it back.`));
    if (!FINAL_STATUSES.has(task.status)) return void (await refuse('A turn is running on this task: wait for its summary, then click again.'));
    if (request.action === 'undo') return await undoTurn({ ...deps, events }, { task, repo, request });
    const host = deps.codeHosts?.(repo);
    if (!host) return void (await refuse(`The repo "${repo.name}" has no code host to open a pull request on: set "github" on it in the repo config.`));
    if (task.pullRequest) return void (await refuse(`This task's pull request is already open: ${task.pullRequest.url}`));
    await openPullRequest(deps, { task, repo, host, events, by: request.by });
  } catch (e) {
    deps.logger.error({ err: e, taskId, request }, 'delivery job failed');
  }
}
