import type { TaskStatus } from '../tasks/task-record.js';
import { section } from './block-kit.js';
import { mention, slackTime } from './format.js';
import { escapeMrkdwn, inlineCode, snippet, truncateText } from './limits.js';
import { buildMessage, type SlackMessage } from './message.js';

/**
 * Everything a person can get wrong or run into, as data. Each renders to one ephemeral
 * message: a sentence saying what happened and what to do next.
 */
export type ErrorView =
  | { kind: 'unknown_subcommand'; subcommand: string }
  | { kind: 'missing_prompt' }
  | { kind: 'invalid_flag'; flag: string; problem: string }
  /** `parseCommand`'s `{ kind: 'invalid', reason }`: the reason is already a sentence (backticks allowed). */
  | { kind: 'invalid_command'; reason: string }
  | { kind: 'unknown_repo'; repo: string; repos: string[] }
  | { kind: 'repo_choice_needed'; repos: string[] }
  | { kind: 'unknown_model'; model: string; models: string[] }
  | { kind: 'unknown_personality'; personality: string; personalities: string[] }
  | { kind: 'not_allowed'; scope: 'channel' | 'user' | 'repo'; repo?: string }
  | { kind: 'service_unavailable'; service: 'redis' | 'docker' | 'model' | 'queue' }
  /**
   * Someone other than the owner or an approver pressed a button or replied. `others`: who
   * else may (configured approvers, steerers); when given, they are named instead of "an approver".
   */
  | { kind: 'not_permitted'; action: 'approve' | 'stop' | 'cancel' | 'steer' | 'unschedule' | 'pull_request' | 'undo' | 'answer'; owner: string; others?: string[] }
  /** `/codex schedule` with a cron line that is invalid or too frequent. */
  | { kind: 'invalid_schedule'; reason: string; example: string; next: string[]; timezone: string }
  | { kind: 'automation_not_found'; id: string }
  /** A delivery button (Open pull request, Undo) clicked while a turn of the task runs. */
  | { kind: 'task_busy'; taskId: string }
  | { kind: 'pull_request_exists'; url: string }
  /** `--pr` (or a pull request to review) on a repo with no code host. */
  | { kind: 'no_code_host'; repo: string }
  | { kind: 'missing_task_id'; subcommand: 'status' | 'cancel' }
  | { kind: 'task_not_found'; taskId: string }
  | { kind: 'task_finished'; taskId: string; status: TaskStatus }
  | { kind: 'approval_closed' }
  /** A question's button clicked after it was answered or expired. */
  | { kind: 'question_closed' }
  /** The policy says `selfApprove: false` and the owner clicked. */
  | { kind: 'self_approval'; approvers: string[] }
  /** A person of another Slack workspace (Slack Connect) that the config does not allow. */
  | { kind: 'foreign_team' }
  /** The person's tasks waiting in the queue are at the cap. */
  | { kind: 'too_many_queued'; queued: number }
  | { kind: 'internal'; reference?: string };

export type ErrorKind = ErrorView['kind'];

const REPOS_SHOWN = 15;
const COMMAND = '/codex';

function repoList(repos: string[]): string {
  if (repos.length === 0) return 'none are configured';
  const shown = repos.slice(0, REPOS_SHOWN).map((r) => inlineCode(r, 60));
  return shown.join(', ') + (repos.length > REPOS_SHOWN ? ` … and ${repos.length - REPOS_SHOWN} more` : '');
}

const PEOPLE_SHOWN = 5;

function peopleList(users: string[]): string {
  const shown = users.slice(0, PEOPLE_SHOWN).map(mention).join(', ');
  return users.length > PEOPLE_SHOWN ? `${shown} and ${users.length - PEOPLE_SHOWN} more` : shown;
}

const SERVICE_TEXT: Record<Extract<ErrorView, { kind: 'service_unavailable' }>['service'], string> = {
  redis: 'its task store (Redis) is not reachable',
  queue: 'its task queue is not reachable',
  docker: 'it cannot reach Docker to run the sandbox',
  model: 'the model service is not answering',
};

const ACTION_TEXT: Record<Extract<ErrorView, { kind: 'not_permitted' }>['action'], string> = {
  approve: 'decide on approvals for',
  stop: 'stop',
  cancel: 'cancel',
  steer: 'steer',
  unschedule: 'unschedule',
  pull_request: 'open a pull request for',
  undo: 'undo turns of',
  answer: 'answer questions of',
};

function sentence(view: ErrorView): string {
  switch (view.kind) {
    case 'unknown_subcommand':
      return `${inlineCode(`${COMMAND} ${view.subcommand}`, 60)} is not a command I know. Try \`${COMMAND} task &lt;prompt&gt;\`, or \`${COMMAND} help\` for the list.`;
    case 'missing_prompt':
      return `Tell me what to do after \`${COMMAND} task\`, e.g. \`${COMMAND} task fix the flaky date test\`.`;
    case 'invalid_flag':
      return `${inlineCode(view.flag, 40)} ${snippet(view.problem, 200)}. See \`${COMMAND} help\` for the options.`;
    case 'invalid_command':
      return `${truncateText(view.reason.trim(), 600, { escape: true, maxLines: 4 })} See \`${COMMAND} help\` for examples.`;
    case 'unknown_repo':
      return `There is no repo called ${inlineCode(view.repo, 60)}. Pick one of ${repoList(view.repos)} with \`--repo NAME\`.`;
    case 'unknown_model':
      return `${inlineCode(view.model, 60)} is not a model tasks may use here. Pick one of ${repoList(view.models)} with \`--model NAME\`.`;
    case 'unknown_personality':
      return `There is no personality called ${inlineCode(view.personality, 60)}. Pick one of ${repoList(view.personalities)} with \`--personality NAME\`.`;
    case 'repo_choice_needed':
      return `Which repo? Add \`--repo NAME\` with one of ${repoList(view.repos)}.`;
    case 'not_allowed':
      if (view.scope === 'channel') return 'Tasks cannot be started in this channel. Ask an admin which channels are set up for it, and start the task there.';
      if (view.scope === 'user') return 'You are not on the list of people who may start tasks. Ask an admin to add you.';
      return `You may not start tasks on ${view.repo ? inlineCode(view.repo, 60) : 'this repo'}. Ask an admin for access, or pick another repo.`;
    case 'service_unavailable':
      return `I can't take tasks right now: ${SERVICE_TEXT[view.service]}. Try again in a few minutes; if it keeps happening, tell whoever runs this bot.`;
    case 'not_permitted': {
      const others = view.others?.filter((u) => u !== view.owner);
      const who = !others ? `${mention(view.owner)}, who started this task, or an approver` : others.length === 0 ? `${mention(view.owner)}, who started this task,` : `${mention(view.owner)}, who started this task, and ${peopleList(others)}`;
      return `Only ${who} can ${ACTION_TEXT[view.action]} it. Ask them, or start your own task with \`${COMMAND} task\`.`;
    }
    case 'missing_task_id':
      return view.subcommand === 'cancel'
        ? `Which task? Use \`${COMMAND} cancel &lt;task id&gt;\`; the id is on the task's status card.`
        : `Which task? Use \`${COMMAND} status &lt;task id&gt;\`; the id is on the task's status card.`;
    case 'task_not_found':
      return `There is no task ${inlineCode(view.taskId, 40)}. Check the id on the task's status card, or run \`${COMMAND} status\` to list your tasks.`;
    case 'task_finished':
      return `Task ${inlineCode(view.taskId, 40)} has already ended (${view.status}). Reply in its thread to continue it, or start a new task with \`${COMMAND} task\`.`;
    case 'task_busy':
      return `A turn of task ${inlineCode(view.taskId, 40)} is running, so nothing changed: wait for its summary, then click again.`;
    case 'pull_request_exists':
      return `This task's pull request is already open (${/^https?:\/\/[^\s|<>]+$/.test(view.url) ? `<${view.url}>` : inlineCode(view.url, 200)}): reply in the thread to add to it.`;
    case 'no_code_host':
      return `Pull requests need a repo on GitHub, and ${inlineCode(view.repo, 60)} has no \`github\` in the repo config: name a branch instead (or leave out \`--pr\`), or ask an admin to set it.`;
    case 'question_closed':
      return 'This question is already answered or has expired, so your click changed nothing. The thread shows the answer that counted.';
    case 'approval_closed':
      return 'This request is already decided or has expired, so nothing changed. The thread shows its outcome.';
    case 'self_approval':
      return view.approvers.length > 0
        ? `Someone other than the task's owner must approve this request here: ask ${peopleList(view.approvers)}.`
        : 'Someone other than the task\'s owner must approve this request here, and no approver is configured: ask an admin to add approvers to the repo config.';
    case 'invalid_schedule':
      return `${escapeMrkdwn(view.reason)}. A valid line, for example: \`${COMMAND} schedule "${view.example}" &lt;prompt&gt;\` runs next at ${view.next.map((t) => slackTime(t, '{date_short_pretty} {time}')).join(', ')} (${escapeMrkdwn(view.timezone)}).`;
    case 'automation_not_found':
      return `There is no automation ${inlineCode(view.id, 40)}. \`${COMMAND} schedules\` lists the automations of this channel and yours.`;
    case 'too_many_queued':
      return `You already have ${view.queued} tasks waiting in the queue. Wait for one to start, or cancel one with \`${COMMAND} cancel &lt;task id&gt;\` (\`${COMMAND} status\` lists them), then try again.`;
    case 'foreign_team':
      return 'You are in another Slack workspace than this bot, so you cannot start, steer or approve its tasks. Ask an admin of this workspace to add yours to `slack.allowedTeams` if you should.';
    case 'internal':
      return `Something went wrong on my side. Try again; if it happens again, tell whoever runs this bot${view.reference ? ` (reference ${inlineCode(view.reference, 40)})` : ''}.`;
  }
}

/** One ephemeral error message: a sentence that says what to do next. */
export function renderError(view: ErrorView): SlackMessage {
  const text = `⚠️ ${sentence(view)}`;
  return buildMessage(text, [section(text)]);
}
