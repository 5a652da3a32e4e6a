import type { KnownBlock } from '@slack/web-api';
import { context, section } from './block-kit.js';
import { escapeMrkdwn, inlineCode } from './limits.js';
import { buildMessage, type SlackMessage } from './message.js';

export interface HelpView {
  /** Models `--model` takes, and personalities `--personality` takes. */
  models?: string[];
  personalities?: string[];
  /** The slash command as installed; `/codex` unless the manifest says otherwise. */
  command?: string;
  /** Configured repo names, to show what `--repo` takes. */
  repos?: string[];
  /** The repo used when `--repo` is left out in this channel, if any. */
  defaultRepo?: string;
}

const REPOS_SHOWN = 15;

/** `/codex help`: usage with examples, and how to work with a running task. */
export function renderHelp(view: HelpView = {}): SlackMessage {
  const cmd = escapeMrkdwn(view.command ?? '/codex');
  const usage = [
    '*Start a task*',
    `\`${cmd} task [--repo NAME] [--branch BRANCH] [--model NAME] [--personality NAME] [--pr] &lt;prompt&gt;\`` + ' (`--pr`: open a pull request when it is done, on a repo on GitHub)',
    `e.g. \`${cmd} task --repo billing fix the flaky date test in invoice.spec.ts\``,
    '',
    '*Other commands*',
    `\`${cmd} plan [--repo NAME] &lt;prompt&gt;\`: explore and propose a plan without changing anything; reply in the thread to carry it out`,
    `\`${cmd} review [--repo NAME] &lt;branch | pull request number or URL&gt;\`: a read-only review of a change, findings in a thread (and on the pull request)`,
    `\`${cmd} status [task id]\`: the state of a task, or of your recent tasks`,
    `\`${cmd} cancel &lt;task id&gt;\`: end a task; its branch keeps what was done`,
    `\`${cmd} list\`: the running and queued tasks you may see`,
    `\`${cmd} log &lt;task id&gt;\`: what a task did: commands, approvals, steering, stops`,
    `\`${cmd} defaults [--repo NAME] [--model NAME] [--personality NAME]\`: your defaults for new tasks (\`reset\` forgets them)`,
    `\`${cmd} schedule "&lt;cron&gt;" [--repo NAME] [--model NAME] [--personality NAME] [--pr] &lt;prompt&gt;\`: run a prompt on a schedule, each run a task in this channel (\`schedules\` lists them, \`unschedule &lt;id&gt;\` removes one; the app's Home tab has a form for it)`,
    `\`${cmd} help\`: this message`,
  ].join('\n');
  const running = [
    '*While a task runs* (everything happens in its thread)',
    '• *Steer*: reply in the thread; the agent reads your reply before its next step.',
    '• *Approve*: when the agent asks, press *Approve*, *Approve for this task* or *Deny*.',
    '• *Stop*: pauses the current step; reply to say what to do next.',
    '• *Cancel*: ends the task.',
    '• *Follow up*: reply after it ended to continue on the same branch.',
    'You can also mention the bot with a request instead of using the command.',
  ].join('\n');
  const blocks: KnownBlock[] = [section(`📖 *${cmd}: a coding agent in Slack*`), section(usage), section(running)];
  const repos = view.repos ?? [];
  if (repos.length > 0) {
    const shown = repos.slice(0, REPOS_SHOWN).map((r) => inlineCode(r, 60));
    const more = repos.length > REPOS_SHOWN ? ` … and ${repos.length - REPOS_SHOWN} more` : '';
    const def = view.defaultRepo ? ` Default here: ${inlineCode(view.defaultRepo, 60)}.` : '';
    blocks.push(context([`Repos: ${shown.join(', ')}${more}.${def}`]));
  }
  const choices = [
    view.models && view.models.length > 0 ? `Models: ${view.models.slice(0, REPOS_SHOWN).map((m) => inlineCode(m, 60)).join(', ')}.` : '',
    view.personalities && view.personalities.length > 0 ? `Personalities: ${view.personalities.slice(0, REPOS_SHOWN).map((p) => inlineCode(p, 40)).join(', ')}.` : '',
  ].filter(Boolean);
  if (choices.length > 0) blocks.push(context([choices.join(' ')]));
  return buildMessage(`How to use ${cmd}: ${cmd} task [--repo NAME] &lt;prompt&gt;`, blocks);
}
