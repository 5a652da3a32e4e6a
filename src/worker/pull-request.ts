import type { ApprovalPolicy, RepoConfig } from '../config.js';
import type { CodeHost } from '../codehost/index.js';
import { CodexError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Workspace } from '../runner/workspace.js';
import type { DiffStat, EventSink, OpSource, TaskEvent } from '../tasks/protocol.js';
import type { TaskRecord } from '../tasks/task-record.js';
import type { TaskStore } from '../tasks/task-store.js';
import { pushStep } from './push-step.js';

/** What opening or updating a task's pull request needs. */
export interface PullRequestDeps {
  store: TaskStore;
  workspace: Workspace;
  logger: Logger;
}

/** Commands that run a test suite (as the summary's tests line reads them). */
const TEST_COMMAND = /(^|[\s;&|(])(npm (run )?test|npm t\b|yarn test|pnpm test|npx (vitest|jest|mocha)|vitest|jest|mocha|pytest|python3? -m (pytest|unittest)|go test|cargo test|node --test|make (test|check)|mvn test|gradle test|rspec|tox)\b/;

/** The pull request's title: the task's prompt, one line, at most 72 characters. */
export function pullRequestTitle(prompt: string): string {
  const line = prompt.replace(/\s+/g, ' ').trim();
  return line.length > 72 ? `${line.slice(0, 71)}…` : line;
}

/**
 * The pull request's body, from the task's events: the latest summary, the last test run, the
 * files changed over all turns, the Slack thread and the task id.
 */
export function pullRequestBody(task: TaskRecord, events: readonly TaskEvent[], latest?: { summary: string; diffStat: DiffStat }): string {
  const completed = events.filter((e): e is Extract<TaskEvent, { type: 'task_completed' }> => e.type === 'task_completed');
  const summary = latest?.summary ?? completed.at(-1)?.summary ?? '';
  const files = new Map<string, { added: number; removed: number }>();
  for (const stat of [...completed.map((c) => c.diffStat), ...(latest ? [latest.diffStat] : [])]) {
    for (const f of stat.files) {
      const seen = files.get(f.path) ?? { added: 0, removed: 0 };
      files.set(f.path, { added: seen.added + f.added, removed: seen.removed + f.removed });
    }
  }
  const test = [...events].reverse().find((e): e is Extract<TaskEvent, { type: 'command_finished' }> => e.type === 'command_finished' && TEST_COMMAND.test(e.command));
  const lines = ['## Summary', '', summary.trim() || '(no summary)', '', '## Tests', ''];
  lines.push(test ? `${test.exitCode === 0 && !test.timedOut ? '✅ passed' : `❌ failed (exit ${test.exitCode})`}: \`${test.command.split('\n')[0]!.slice(0, 100)}\`` : 'No test command was run.');
  lines.push('', '## Files changed', '');
  for (const [path, c] of files) lines.push(`- \`${path}\` +${c.added} −${c.removed}`);
  if (files.size === 0) lines.push('(none)');
  lines.push('', '---', `Opened by Codex for task \`${task.id}\`${task.threadUrl ? ` from [its Slack thread](${task.threadUrl})` : ''}.`);
  return lines.join('\n').slice(0, 60_000);
}

/**
 * Pushes the task branch and opens its pull request (head = the task branch, base = its base
 * branch), records it on the task and says so in its events. The caller has the person's
 * approval of this push (their click, `--pr`, or the repo's autoPullRequest). Failures become a
 * `pull_request_failed` event with a sentence saying what to do.
 */
export async function openPullRequest(deps: PullRequestDeps, input: { task: TaskRecord; repo: RepoConfig; host: CodeHost; events: EventSink; by?: string; latest?: { summary: string; diffStat: DiffStat } }): Promise<void> {
  const { task, repo, events } = input;
  try {
    // One thread message says both: the push and the pull request (`commit` on pull_request_opened).
    const sha = await deps.workspace.pushBranch(repo, task.branch, repo.pushUrl);
    const body = pullRequestBody(task, await deps.store.readEvents(task.id), input.latest);
    const pr = await input.host.openPullRequest(repo, { head: task.branch, base: task.baseBranch, title: pullRequestTitle(task.prompt), body, draft: repo.draftPullRequests === true });
    await deps.store.patchTask(task.id, { pullRequest: pr });
    await events.emit({ type: 'pull_request_opened', number: pr.number, url: pr.url, branch: task.branch, draft: repo.draftPullRequests === true, by: input.by, commit: sha });
  } catch (e) {
    deps.logger.warn({ err: e, taskId: task.id }, 'could not open the pull request');
    await events.emit({ type: 'pull_request_failed', message: sentence(e, 'open the pull request'), by: input.by });
  }
}

/**
 * A later turn on a task whose pull request is open: when it is still open, pushes the branch
 * (under the approval policy's `push` rule) and comments on it; when it was closed or merged
 * meanwhile, says so and forgets it (a click can open a new one), pushing nothing.
 */
export async function updatePullRequest(
  deps: PullRequestDeps,
  input: { task: TaskRecord; repo: RepoConfig; host: CodeHost; events: EventSink; ops: OpSource; policy: ApprovalPolicy; commit: string; summary: string; diffStat: DiffStat },
): Promise<void> {
  const { task, repo, events } = input;
  const pr = task.pullRequest!;
  try {
    const info = await input.host.getPullRequest(repo, pr.number);
    if (info.state !== 'open') {
      await deps.store.patchTask(task.id, { pullRequest: undefined });
      await events.emit({ type: 'pull_request_closed', number: pr.number, url: pr.url, merged: info.merged });
      return;
    }
    const pushed = await pushStep({ task, repo, policy: input.policy, commit: input.commit, diffStat: input.diffStat, workspace: deps.workspace, store: deps.store, events, ops: input.ops });
    if (!pushed) return;
    await input.host.comment(repo, pr.number, `Codex pushed turn ${task.turn} of task \`${task.id}\` (${input.commit.slice(0, 12)}):\n\n${input.summary.trim().slice(0, 20_000)}`);
    await events.emit({ type: 'pull_request_updated', number: pr.number, url: pr.url, commit: input.commit });
  } catch (e) {
    deps.logger.warn({ err: e, taskId: task.id }, 'could not update the pull request');
    await events.emit({ type: 'pull_request_failed', message: sentence(e, `update pull request #${pr.number}`) });
  }
}

function sentence(e: unknown, what: string): string {
  return CodexError.isInstance(e) ? e.userMessage : `Could not ${what} (${errorMessage(e)}); try again, and if it keeps failing tell whoever runs this bot.`;
}
