import type { KnownBlock, ModalView } from '@slack/web-api';
import { plainText } from './block-kit.js';
import type { ErrorView } from './errors.js';
import { channelSelect, checkboxes, input, staticSelect, textInput } from './form-elements.js';
import { SLACK_LIMITS } from './limits.js';

/*
 * The App Home's "New automation" modal: the form of `/codex schedule "<cron>" [--repo NAME]
 * [--model NAME] [--personality NAME] [--pr] <prompt>`, plus the channel where its runs land.
 * Block and action ids are the contract with the submission's reader (src/slack/schedule-modal.ts):
 * each input's block_id is also where a refusal is shown (`response_action: "errors"`).
 */

export const SCHEDULE_MODAL_CALLBACK_ID = 'codex_schedule_modal';

/** block_id = action_id of each input. */
export const SCHEDULE_FIELDS = { cron: 'cron', repo: 'repo', model: 'model', personality: 'personality', channel: 'channel', prompt: 'prompt', pullRequest: 'pr' } as const;
export type ScheduleFieldId = (typeof SCHEDULE_FIELDS)[keyof typeof SCHEDULE_FIELDS];

/** The value of the one checkbox of the pull-request input. */
export const PULL_REQUEST_CHOICE = 'open_pr';

export interface ScheduleModalView {
  repos: string[];
  models: string[];
  personalities: string[];
  /** Preselected: the viewer's defaults. */
  defaults: { repo?: string; model?: string; personality?: string };
  /** Preselected channel: where the viewer's last task ran, if any. */
  channel?: string;
  timezone: string;
  minIntervalMinutes: number;
  exampleCron: string;
  /** Offer "open a pull request" (some repo is on GitHub). */
  pullRequests: boolean;
}

const named = (names: readonly string[]) => names.map((n) => ({ value: n, label: n }));

export function renderScheduleModal(view: ScheduleModalView): ModalView {
  const f = SCHEDULE_FIELDS;
  const blocks: KnownBlock[] = [
    input({
      blockId: f.cron,
      label: 'Schedule (cron line)',
      element: textInput({ actionId: f.cron, placeholder: view.exampleCron, maxLength: 100 }),
      hint: `Five fields: minute hour day-of-month month day-of-week, in ${view.timezone}; at most every ${view.minIntervalMinutes} minutes. "${view.exampleCron}" is 9:00 on weekdays.`,
    }),
    input({ blockId: f.prompt, label: 'What each run does', element: textInput({ actionId: f.prompt, multiline: true, placeholder: "Summarise yesterday's CI failures and open issues for the flaky ones" }) }),
    input({ blockId: f.repo, label: 'Repo', element: staticSelect({ actionId: f.repo, placeholder: 'Pick a repo', choices: named(view.repos), initial: view.defaults.repo ?? (view.repos.length === 1 ? view.repos[0] : undefined) }) }),
    input({ blockId: f.channel, label: 'Channel where runs land', element: channelSelect({ actionId: f.channel, placeholder: 'Pick a channel I am in', initial: view.channel }), hint: 'Each run is a task in this channel, owned by you. Invite me there first (/invite @Codex).' }),
    input({ blockId: f.model, label: 'Model', optional: true, element: staticSelect({ actionId: f.model, placeholder: 'Your default', choices: named(view.models), initial: view.defaults.model }), hint: 'Left empty, each run uses your default at that time.' }),
  ];
  if (view.personalities.length > 0) {
    blocks.push(input({ blockId: f.personality, label: 'Personality', optional: true, element: staticSelect({ actionId: f.personality, placeholder: 'Your default', choices: named(view.personalities), initial: view.defaults.personality }) }));
  }
  if (view.pullRequests) {
    blocks.push(input({ blockId: f.pullRequest, label: 'Pull request', optional: true, element: checkboxes({ actionId: f.pullRequest, choices: [{ value: PULL_REQUEST_CHOICE, label: 'Open a pull request at the end of each run' }] }) }));
  }
  return {
    type: 'modal',
    callback_id: SCHEDULE_MODAL_CALLBACK_ID,
    title: plainText('New automation', SLACK_LIMITS.viewTitle),
    submit: plainText('Schedule', SLACK_LIMITS.viewButton),
    close: plainText('Cancel', SLACK_LIMITS.viewButton),
    blocks,
  };
}

const list = (names: readonly string[]) => names.slice(0, 10).join(', ') + (names.length > 10 ? ` and ${names.length - 10} more` : '');

/** A time as the modal's plain text can show it (Slack's date tokens need mrkdwn): "Mon 7 Dec, 09:00". */
export function plainTime(iso: string, timezone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: timezone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(iso));
}

/**
 * A refusal of the modal's submission as the sentence shown under the input it is about (plain
 * text): the same reasons as `/codex schedule`'s refusals (renderError), said for a form.
 */
export function scheduleFieldError(error: ErrorView): string {
  switch (error.kind) {
    case 'invalid_schedule':
      return `${error.reason}. A valid line, for example: "${error.example}" runs next at ${error.next.map((t) => plainTime(t, error.timezone)).join(', ')} (${error.timezone}).`;
    case 'unknown_repo':
      return `There is no repo called "${error.repo}". Pick one of ${list(error.repos)}.`;
    case 'repo_choice_needed':
      return `Pick a repo: one of ${list(error.repos)}.`;
    case 'unknown_model':
      return `"${error.model}" is not a model tasks may use here. Pick one of ${list(error.models)}.`;
    case 'unknown_personality':
      return `There is no personality called "${error.personality}". Pick one of ${list(error.personalities)}.`;
    case 'not_allowed':
      if (error.scope === 'channel') return 'Tasks cannot be started in that channel. Pick a channel that is set up for it, or ask an admin which ones are.';
      if (error.scope === 'user') return 'You are not on the list of people who may start tasks on this repo. Ask an admin to add you, or pick another repo.';
      return `You may not start tasks on "${error.repo ?? 'this repo'}". Ask an admin for access, or pick another repo.`;
    case 'no_code_host':
      return `Pull requests need a repo on GitHub, and "${error.repo}" has none in the repo config: untick this, or ask an admin to set it.`;
    case 'foreign_team':
      return 'You are in another Slack workspace than this bot, so you cannot schedule its tasks. Ask an admin of this workspace to add yours to slack.allowedTeams if you should.';
    case 'service_unavailable':
      return 'The task store did not answer, so nothing was scheduled. Submit again in a minute.';
    default:
      return 'This could not be scheduled. Check the form and submit again.';
  }
}
