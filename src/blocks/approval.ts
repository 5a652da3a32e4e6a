import type { KnownBlock } from '@slack/web-api';
import type { ApprovalDecision, ApprovalKind, DiffStat } from '../tasks/protocol.js';
import { actions, button, context, section } from './block-kit.js';
import { ACTION_IDS, encodeButtonValue } from './button-value.js';
import { renderDiffStat, formatLineCounts } from './diff-stat.js';
import { mention, slackTime } from './format.js';
import { codeBlock, escapeMrkdwn, formatCount, inlineCode, plural, truncateText } from './limits.js';
import { buildMessage, type SlackMessage } from './message.js';

/** An approval request, from the `approval_requested` event. */
export interface ApprovalView {
  taskId: string;
  approvalId: string;
  kind: ApprovalKind;
  command?: string;
  /** Where the command runs (`/workspace/…`). */
  workdir?: string;
  /** Every reason the policy asks; "Approve for this task" grants them all. */
  needs?: string[];
  reason?: string;
  diffStat?: DiffStat;
  /** ISO time after which no answer counts as Deny. */
  expiresAt: string;
  /** Slack user ids who may decide (the owner and configured approvers), for the reader. */
  deciders?: string[];
}

const KIND_TEXT: Record<ApprovalKind, string> = {
  command: 'run a command',
  network: 'use the network for a command',
  patch: 'apply a large change',
  push: 'push the branch',
};

const COMMAND_MAX = 2500;
const COMMAND_LINES = 40;
/** A run of blanks this long can push the rest of a line out of sight. */
const BLANK_RUN = 16;
/** Control and format characters (carriage return, escape, zero-width, bidi overrides), except newline and tab. */
const INVISIBLE = /(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * True when the prompt can show the command whole and as it is: within the block's length and
 * line limits, and with nothing that hides text from a reader (long runs of blanks, control
 * or invisible characters).
 */
export function commandFitsPrompt(command: string): boolean {
  const body = escapeMrkdwn(command.replace(/```/g, '`\u200b`\u200b`'));
  return (
    body.length <= COMMAND_MAX - 8 &&
    command.split('\n').length <= COMMAND_LINES &&
    !new RegExp(`[ \\t]{${BLANK_RUN},}`).test(command) &&
    !INVISIBLE.test(command)
  );
}

/** The command with what hides text made visible: long blank runs counted, invisible characters as \u{…}. */
function visible(command: string): string {
  return command
    .replace(new RegExp(`[ \\t]{${BLANK_RUN},}`, 'g'), (run) => ` ⟪${formatCount(run.length)} blanks⟫ `)
    .replace(new RegExp(INVISIBLE.source, 'gu'), (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
}

/**
 * The full command as a file to upload beside the prompt, when the prompt cannot show it whole
 * (see commandFitsPrompt); undefined when it can. The renderer uploads it before the prompt.
 */
export function approvalAttachment(view: Pick<ApprovalView, 'approvalId' | 'command'>): { filename: string; title: string; content: string } | undefined {
  if (view.command === undefined || commandFitsPrompt(view.command)) return undefined;
  return { filename: `${view.approvalId}-command.txt`, title: 'The full command awaiting approval', content: view.command };
}

/** What is asked, as a noun phrase, for the fallback text and the settled line. */
function subject(view: Pick<ApprovalView, 'kind' | 'command' | 'diffStat'>, max: number): string {
  const cmd = view.command ? inlineCode(view.command, max) : undefined;
  switch (view.kind) {
    case 'command':
      return cmd ?? 'a command';
    case 'network':
      return cmd ? `network access for ${cmd}` : 'network access';
    case 'patch':
      return view.diffStat
        ? `a change to ${plural(view.diffStat.files.length, 'file')} (${formatLineCounts(view.diffStat.added, view.diffStat.removed)})`
        : (cmd ?? 'a large change');
    case 'push':
      return 'pushing the branch';
  }
}

/**
 * The approval prompt: what is asked (the command in a code block, or the change's diff
 * stat), why, and until when, with Approve, Approve for this task and Deny. The buttons carry
 * the task and approval ids only, never the command.
 */
export function renderApprovalPrompt(view: ApprovalView): SlackMessage {
  const blocks: KnownBlock[] = [section(`✋ *Approval needed*: the agent wants to ${KIND_TEXT[view.kind]}.`)];
  if (view.command !== undefined) {
    const attachment = approvalAttachment(view);
    if (!attachment) blocks.push(section(codeBlock(view.command, COMMAND_MAX, { maxLines: COMMAND_LINES })));
    else {
      // Never a silently cut command: what is shown is marked as partial, the file has every byte.
      const lines = view.command.split('\n').length;
      blocks.push(
        section(
          `⚠️ *This command is not shown whole here* (${plural(lines, 'line')}, ${plural(view.command.length, 'character')}; long runs of blanks and invisible characters are marked). ` +
            `Every byte of it is in the file \`${attachment.filename}\` attached just above in this thread: read it before you decide.`,
        ),
      );
      blocks.push(section(codeBlock(visible(view.command), COMMAND_MAX, { maxLines: COMMAND_LINES })));
    }
  }
  if (view.workdir) blocks.push(section(`*Working directory:* ${inlineCode(view.workdir, 300)}`));
  if (view.diffStat) blocks.push(section(renderDiffStat(view.diffStat)));
  if (view.needs && view.needs.length > 0) {
    const grant = view.needs.length > 1 ? ' _Approve for this task_ allows all of them for the rest of the task.' : '';
    blocks.push(section(`*Asks because:*\n${view.needs.map((n) => `• ${escapeMrkdwn(n)}`).join('\n')}${grant}`));
  }
  if (view.reason?.trim()) blocks.push(section(`*Why:* ${truncateText(view.reason.trim(), 600, { escape: true, maxLines: 8 })}`));
  const who = view.deciders && view.deciders.length > 0 ? ` ${view.deciders.slice(0, 5).map(mention).join(', ')} can decide.` : '';
  blocks.push(context([`⏳ Expires at ${slackTime(view.expiresAt)}; no answer by then counts as Deny.${who}`]));

  const value = encodeButtonValue({ t: view.taskId, a: view.approvalId });
  blocks.push(
    actions('codex_approval_actions', [
      button({ text: 'Approve', actionId: ACTION_IDS.approve, value, style: 'primary' }),
      button({ text: 'Approve for this task', actionId: ACTION_IDS.approveForTask, value }),
      button({
        text: 'Deny',
        actionId: ACTION_IDS.deny,
        value,
        style: 'danger',
        confirm: {
          title: 'Deny this request?',
          text: 'The agent will not do this and will try another way or stop.',
          confirm: 'Deny',
          deny: 'Go back',
          danger: true,
        },
      }),
    ]),
  );
  return buildMessage(`✋ Approval needed: ${subject(view, 100)}`, blocks);
}

/** How an approval ended, from the `approval_resolved` event. */
export interface ApprovalSettledView {
  kind: ApprovalKind;
  command?: string;
  diffStat?: DiffStat;
  decision: ApprovalDecision;
  /** Who decided; absent when the request timed out. */
  by?: string;
  /** ISO time of the decision. */
  at: string;
  timedOut?: boolean;
}

/**
 * The approval message once settled: one line with who decided what and when, without
 * buttons, so nobody clicks a stale prompt.
 */
export function renderApprovalSettled(view: ApprovalSettledView): SlackMessage {
  const what = subject(view, 80);
  const when = slackTime(view.at);
  let line: string;
  if (view.timedOut) line = `⌛ The request for ${what} timed out at ${when}: counted as denied.`;
  else {
    const who = view.by ? mention(view.by) : 'Someone';
    if (view.decision === 'accept') line = `✅ ${who} approved ${what} at ${when}.`;
    else if (view.decision === 'accept_for_task') line = `✅ ${who} approved ${what} and similar requests for the rest of this task at ${when}.`;
    else line = `🚫 ${who} denied ${what} at ${when}.`;
  }
  return buildMessage(line.replace(/<!date\^\d+\^[^|]*\|([^>]*)>/g, '$1'), [section(line)]);
}
