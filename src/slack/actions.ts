import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ACTION_IDS, findingsPrompt, parseApprovalButtonValue, parseAutomationButtonValue, parseQuestionButtonValue, parseTaskButtonValue, parseTurnButtonValue, renderApprovalSettled, renderError, type ErrorView } from '../blocks/index.js';
import { canApprove, canDecide, canSteer, decidersOf, isForeignTeam, steerersOf } from '../tasks/access.js';
import { runOccurrence } from './automation-runner.js';
import type { ApprovalDecision } from '../tasks/protocol.js';
import { FINAL_STATUSES } from '../tasks/task-record.js';
import { cancelTask } from '../tasks/cancel-task.js';
import type { SlackDeps } from './slack-deps.js';
import { createTask } from './create-task.js';
import { taskTarget } from './task-target.js';

const DECISIONS: Record<string, ApprovalDecision> = {
  [ACTION_IDS.approve]: 'accept',
  [ACTION_IDS.approveForTask]: 'accept_for_task',
  [ACTION_IDS.deny]: 'decline',
};

/**
 * Buttons: Stop and Cancel on the status card; Approve, Approve for this task and Deny on an
 * approval prompt. Every click is acknowledged first. Only the task's owner or a configured
 * approver may act; anyone else gets an ephemeral refusal and nothing changes. An approval is
 * settled once: the first valid click claims it, later clicks are told it is closed. Clicks
 * produce operations (the App Home's own controls, `codex_home_*`, are src/slack/home-controls.ts's); apart from acknowledging the click on the prompt itself, what the thread
 * shows follows from the task's events.
 */
export function registerActions(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>({ action_id: /^codex_(?!home_)/ }, async ({ ack, body, action }) => {
    await ack();
    await handleAction(deps, body, action).catch(async (e: unknown) => {
      deps.logger.error({ err: e, action: action.action_id }, 'button handling failed');
      const channel = body.channel?.id ?? body.container?.channel_id;
      if (channel) await deps.poster.postEphemeral(channel, body.user.id, renderError({ kind: 'service_unavailable', service: 'redis' }), body.message?.thread_ts ?? body.message?.ts).catch(() => undefined);
    });
  });
}

export async function handleAction(deps: SlackDeps, body: BlockAction<ButtonAction>, action: ButtonAction): Promise<void> {
  const user = body.user.id;
  const channel = body.channel?.id ?? body.container?.channel_id;
  const threadTs = body.message?.thread_ts ?? body.message?.ts;
  const refuse = async (view: ErrorView) => {
    if (channel) await deps.poster.postEphemeral(channel, user, renderError(view), threadTs).catch(() => undefined);
  };
  const automation = parseAutomationButtonValue(action.value);
  if (automation) return handleAutomationAction(deps, action.action_id, automation.s, user, refuse);
  // A click on the App Home refreshes it once handled (the task list there has no thread to answer in).
  if (body.view?.type === 'home') setTimeout(() => void deps.home.publish(user), 1_000).unref();
  const value = parseApprovalButtonValue(action.value) ?? parseTurnButtonValue(action.value) ?? parseQuestionButtonValue(action.value) ?? parseTaskButtonValue(action.value);
  if (!value) return refuse({ kind: 'internal' });
  const task = await deps.store.getTask(value.t);
  if (!task) return refuse({ kind: 'task_not_found', taskId: value.t });
  const repo = deps.config.findRepo(task.repo);

  if (isForeignTeam(deps.config, deps.teamId, body.user.team_id)) return refuse({ kind: 'foreign_team' });
  const decision = DECISIONS[action.action_id];
  if (decision) {
    const policy = repo && deps.config.approvalFor(repo, task.channel);
    if (!canApprove(repo, policy, task.owner, user)) {
      return refuse(user === task.owner ? { kind: 'self_approval', approvers: decidersOf(repo, policy, task.owner) } : { kind: 'not_permitted', action: 'approve', owner: task.owner });
    }
    const approvalId = parseApprovalButtonValue(action.value)?.a;
    const ref = approvalId ? await linkedRef(() => deps.refs.getApproval(approvalId)) : undefined;
    if (!ref || ref.taskId !== task.id || Date.parse(ref.expiresAt) < Date.now() || FINAL_STATUSES.has(task.status)) return refuse({ kind: 'approval_closed' });
    if (!(await deps.refs.claimDecision(ref.approvalId, user))) return refuse({ kind: 'approval_closed' });
    await deps.store.appendOp(task.id, { type: 'approval', approvalId: ref.approvalId, decision, by: user });
    // The click is acknowledged at once, like 👀 on a reply; the renderer's edit from the agent's
    // `approval_resolved` follows and is the final word.
    const settled = renderApprovalSettled({ kind: ref.kind, command: ref.command, diffStat: ref.diffStat, decision, by: user, at: new Date().toISOString() });
    await deps.poster.update(task.id, ref.channel, ref.ts, settled, 'approval').catch((e: unknown) => deps.logger.warn({ err: e }, 'could not settle the approval message'));
    return;
  }

  // A question's choice: whoever may steer answers; the first answer counts (a reply may have come first).
  const question = parseQuestionButtonValue(action.value);
  if (question && action.action_id.startsWith(`${ACTION_IDS.answer}_`)) {
    if (!canSteer(repo, task.owner, user)) return refuse({ kind: 'not_permitted', action: 'answer', owner: task.owner, others: steerersOf(repo, task.owner) });
    const ref = await linkedRef(() => deps.refs.getQuestion(question.q));
    const answer = ref?.choices[question.c];
    if (!ref || answer === undefined || ref.taskId !== task.id || Date.parse(ref.expiresAt) < Date.now() || FINAL_STATUSES.has(task.status)) return refuse({ kind: 'question_closed' });
    if (!(await deps.refs.claimAnswer(ref.questionId, user))) return refuse({ kind: 'question_closed' });
    await deps.store.appendOp(task.id, { type: 'answer', questionId: ref.questionId, answer, by: user });
    return;
  }

  if (action.action_id === ACTION_IDS.stop) {
    if (!canDecide(repo, task.owner, user)) return refuse({ kind: 'not_permitted', action: 'stop', owner: task.owner });
    if (FINAL_STATUSES.has(task.status)) return refuse({ kind: 'task_finished', taskId: task.id, status: task.status });
    await deps.store.appendOp(task.id, { type: 'interrupt', by: user });
    return;
  }
  // Open pull request and Undo: the click is the person's approval; a worker carries it out
  // (TaskLifecycle.requestDelivery) and the thread shows what it did from the task's events.
  if (action.action_id === ACTION_IDS.openPullRequest || action.action_id === ACTION_IDS.undo) {
    const undo = action.action_id === ACTION_IDS.undo;
    if (!canDecide(repo, task.owner, user)) return refuse({ kind: 'not_permitted', action: undo ? 'undo' : 'pull_request', owner: task.owner });
    if (!FINAL_STATUSES.has(task.status)) return refuse({ kind: 'task_busy', taskId: task.id });
    if (!undo && task.pullRequest) return refuse({ kind: 'pull_request_exists', url: task.pullRequest.url });
    const turn = undo ? parseTurnButtonValue(action.value)?.n : task.turn;
    if (turn === undefined) return refuse({ kind: 'internal' });
    await deps.lifecycle.requestDelivery(task, { action: undo ? 'undo' : 'pull_request', by: user, turn });
    return;
  }
  // Fix these: a new task, owned by whoever clicked (if they may start one), on the reviewed branch.
  if (action.action_id === ACTION_IDS.fixFindings) {
    const review = (await deps.store.readEvents(task.id)).findLast((e) => e.type === 'review_completed');
    if (!review || review.type !== 'review_completed' || !channel) return refuse({ kind: 'internal' });
    const target = taskTarget(deps.config, channel, user, { repo: task.repo });
    if (!target.ok) return refuse(target.error);
    const started = await createTask(deps, { repo: target.repo, asked: { prompt: findingsPrompt(review), branch: review.head }, owner: user, channel, teamId: body.team?.id, model: target.model, personality: target.personality });
    await started.publish();
    return;
  }
  if (action.action_id === ACTION_IDS.cancel) {
    const result = await cancelTask(deps.lifecycle, deps.config.findRepo, task.id, user);
    if (result.kind === 'not_permitted') return refuse({ kind: 'not_permitted', action: 'cancel', owner: result.owner });
    if (result.kind === 'finished') return refuse({ kind: 'task_finished', taskId: task.id, status: result.status });
  }
}

/**
 * A prompt's message link (an approval's, a question's). The renderer stores it just after
 * posting the prompt, so a click that comes within that moment looks again briefly before
 * calling the request closed.
 */
async function linkedRef<T>(get: () => Promise<T | undefined>): Promise<T | undefined> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const ref = await get();
    if (ref) return ref;
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}

/**
 * Pause, Resume, Run now and Delete of an automation (from the App Home): its author or an
 * approver of its repo; the Home is published again afterwards.
 */
async function handleAutomationAction(deps: SlackDeps, actionId: string, id: string, user: string, refuse: (view: ErrorView) => Promise<void>): Promise<void> {
  const automation = await deps.automations.get(id);
  if (!automation) return refuse({ kind: 'automation_not_found', id });
  if (!canDecide(deps.config.findRepo(automation.repo), automation.owner, user)) return refuse({ kind: 'not_permitted', action: 'unschedule', owner: automation.owner });
  if (actionId === ACTION_IDS.automationPause) await deps.automations.update(id, { paused: true });
  else if (actionId === ACTION_IDS.automationResume) await deps.automations.update(id, { paused: false, failures: 0 });
  else if (actionId === ACTION_IDS.automationDelete) await deps.automations.remove(id);
  else if (actionId === ACTION_IDS.automationRun) await runOccurrence(deps, id, { manual: true });
  await deps.home.publish(user);
}
