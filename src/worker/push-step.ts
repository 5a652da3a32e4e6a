import type { ApprovalPolicy, RepoConfig } from '../config.js';
import { CodexError } from '../errors.js';
import type { Workspace } from '../runner/workspace.js';
import { canDecide } from '../tasks/access.js';
import type { DiffStat, EventSink, OpSource } from '../tasks/protocol.js';
import type { TaskRecord } from '../tasks/task-record.js';
import type { TaskStore } from '../tasks/task-store.js';
import { stripUrlCredentials } from '../util/redact.js';
import { askPerson } from './ask-person.js';

/** A remote URL as shown to people: any user:password@ part removed. */
export const displayRemote = stripUrlCredentials;

/**
 * Paths whose changes run with other people's rights once pushed (CI pipelines, build and
 * container definitions, hooks, dependency sources): a push that touches one always asks, even
 * when pushes need no approval or someone chose "Approve for this task".
 */
const SENSITIVE_PATHS: RegExp[] = [
  /^\.github\//,
  /(^|\/)\.gitlab-ci\.ya?ml$/,
  /^\.gitlab\//,
  /^\.circleci\//,
  /^\.buildkite\//,
  /(^|\/)Jenkinsfile$/,
  /(^|\/)azure-pipelines\.ya?ml$/,
  /(^|\/)\.travis\.ya?ml$/,
  /(^|\/)bitbucket-pipelines\.ya?ml$/,
  /(^|\/)(Dockerfile|Containerfile)([.-][^/]*)?$/,
  /(^|\/)(docker-)?compose(\.[^/]*)?\.ya?ml$/,
  /(^|\/)\.(npmrc|yarnrc(\.yml)?|pypirc|gitmodules|gitattributes|pre-commit-config\.yaml)$/,
  /(^|\/)\.husky\//,
  /(^|\/)CODEOWNERS$/,
];

/** The changed paths that touch CI or configuration (SENSITIVE_PATHS). */
export function sensitivePaths(stat: DiffStat): string[] {
  return stat.files.flatMap((f) => [f.path, ...(f.oldPath ? [f.oldPath] : [])]).filter((p) => SENSITIVE_PATHS.some((re) => re.test(p)));
}

/**
 * After a turn that committed (its summary and diff already in the thread), pushes the task
 * branch upstream when the repo asks for it. It asks in the thread first, showing the diff
 * stat, when the policy's `push` says so, unless someone who may decide chose "Approve for this
 * task" and this turn was asked for by the owner or an approver (a steerer's turn asks again);
 * a change to CI or configuration paths always asks. The outcome is a `branch_pushed` event;
 * true when the branch was pushed.
 */
export async function pushStep(input: { task: TaskRecord; repo: RepoConfig; policy: ApprovalPolicy; commit: string; diffStat: DiffStat; workspace: Workspace; store: TaskStore; events: EventSink; ops: OpSource }): Promise<boolean> {
  const { task, repo, events } = input;
  const remote = displayRemote(repo.pushUrl);
  const flagged = sensitivePaths(input.diffStat);
  const askedByDecider = canDecide(repo, task.owner, task.turnBy ?? task.owner);
  const preApproved = task.autoPush === true && askedByDecider;
  if (flagged.length > 0 || (input.policy.push && !preApproved)) {
    const why = flagged.length > 0 ? ` It changes CI or configuration files, so it always asks: ${flagged.slice(0, 10).join(', ')}${flagged.length > 10 ? `, and ${flagged.length - 10} more` : ''}.` : '';
    const result = await askPerson(input, {
      kind: 'push',
      command: `git push ${remote} ${task.branch}`,
      reason: `Publish the task branch upstream for review; the summary and the diff are above.${why}`,
      diffStat: input.diffStat,
      timeoutMinutes: input.policy.timeoutMinutes,
    });
    if (result.decision === 'decline') return false;
    if (result.decision === 'accept_for_task') await input.store.patchTask(task.id, { autoPush: true });
  }
  try {
    const sha = await input.workspace.pushBranch(repo, task.branch, repo.pushUrl);
    await events.emit({ type: 'branch_pushed', branch: task.branch, remote, commit: sha, ok: true });
    return true;
  } catch (e) {
    const error = CodexError.isInstance(e) ? e.userMessage : 'The push failed.';
    await events.emit({ type: 'branch_pushed', branch: task.branch, remote, commit: input.commit, ok: false, error });
    return false;
  }
}
