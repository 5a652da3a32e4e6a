import type { RepoConfig } from '../config.js';
import { CodexError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Workspace } from '../runner/workspace.js';
import type { EventSink, TaskEvent } from '../tasks/protocol.js';
import type { DeliveryRequest } from '../tasks/task-queue.js';
import type { TaskRecord } from '../tasks/task-record.js';
import type { TaskStore } from '../tasks/task-store.js';

/** The commit each turn ended with (turns that changed nothing have none). */
function turnCommits(events: readonly TaskEvent[]): Map<number, string> {
  const commits = new Map<number, string>();
  let turn = 1;
  for (const e of events) {
    if (e.type === 'turn_starting') turn = e.turn;
    if (e.type === 'task_completed' && e.commit) commits.set(turn, e.commit);
  }
  return commits;
}

/** The commit upstream has, as far as the task's events tell: its last push (or pushed undo). */
function lastPushed(events: readonly TaskEvent[]): string | undefined {
  let sha: string | undefined;
  for (const e of events) {
    if ((e.type === 'branch_pushed' && e.ok) || e.type === 'pull_request_opened' || e.type === 'pull_request_updated') sha = e.commit ?? sha;
    if (e.type === 'branch_reset' && e.pushed) sha = e.to;
  }
  return sha;
}

/**
 * Undo of turn `request.turn`: the task branch goes back to where it was before that turn,
 * provided nothing came after it (the branch tip is still that turn's commit). When that commit
 * was pushed, upstream goes back too, with `--force-with-lease` (refused if someone else pushed
 * meanwhile). The conversation records it, so the next turn knows; the events say so either way.
 */
export async function undoTurn(deps: { store: TaskStore; workspace: Workspace; logger: Logger; events: EventSink }, input: { task: TaskRecord; repo: RepoConfig; request: DeliveryRequest }): Promise<void> {
  const { task, repo, request } = input;
  const { events } = deps;
  const fail = (message: string) => events.emit({ type: 'branch_reset_failed', turn: request.turn, message, by: request.by });
  try {
    const history = await deps.store.readEvents(task.id);
    const commit = turnCommits(history).get(request.turn);
    if (!commit) return void (await fail(`Turn ${request.turn} changed nothing on the branch, so there is nothing to undo.`));
    if (history.some((e) => e.type === 'branch_reset' && e.from === commit)) return void (await fail(`Turn ${request.turn} was undone already.`));
    const tip = await deps.workspace.branchTip(repo, task.branch);
    if (tip !== commit) return void (await fail(`The branch ${task.branch} has moved on since turn ${request.turn}, so it was not undone: undo the later turn first.`));
    const parent = await deps.workspace.parentOf(repo, commit);
    if (!parent) return void (await fail(`The commit before turn ${request.turn} is not on this worker, so the branch was not moved.`));
    // Upstream has this turn only when its commit was the last one pushed.
    const pushed = lastPushed(history) === commit;
    await deps.workspace.resetBranch(repo, task.branch, { from: commit, to: parent, url: pushed ? repo.pushUrl : undefined });
    const saved = await deps.store.load(task.id);
    if (saved) {
      const note = `[Undo] Turn ${request.turn}'s changes were undone at the request of the user: the branch ${task.branch} is back at ${parent.slice(0, 12)}, as it was before that turn. Do not assume those changes exist.`;
      await deps.store.save(task.id, { ...saved, items: [...saved.items, { type: 'message', role: 'user', content: note }] });
    }
    await events.emit({ type: 'branch_reset', turn: request.turn, branch: task.branch, from: commit, to: parent, pushed, by: request.by });
  } catch (e) {
    deps.logger.warn({ err: e, taskId: task.id }, 'undo failed');
    await fail(CodexError.isInstance(e) ? e.userMessage : `The undo failed (${errorMessage(e)}); try again, and if it keeps failing tell whoever runs this bot.`);
  }
}
