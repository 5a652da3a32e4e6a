import { section } from './block-kit.js';
import { inlineCode, truncateText } from './limits.js';
import { mention } from './format.js';
import { buildMessage, type SlackMessage } from './message.js';

/*
 * Thread messages of delivery: the pull request opened, updated, closed meanwhile, or not
 * opened; a turn undone or not. Links are only made of URLs that cannot break out of `<…|…>`.
 */

function link(url: string, text: string): string {
  return /^https?:\/\/[^\s|<>]+$/.test(url) ? `<${url}|${text}>` : `${text} (${inlineCode(url, 200)})`;
}

export function renderPullRequestOpened(view: { number: number; url: string; branch: string; draft: boolean; by?: string }): SlackMessage {
  const who = view.by ? ` for ${mention(view.by)}` : '';
  return buildMessage(`🔀 Opened pull request #${view.number}: ${view.url}`, [
    section(`🔀 Opened ${view.draft ? 'draft ' : ''}pull request ${link(view.url, `#${view.number}`)} from ${inlineCode(view.branch, 100)}${who}: ${view.url}`),
  ]);
}

export function renderPullRequestUpdated(view: { number: number; url: string; commit: string }): SlackMessage {
  return buildMessage(`🔀 Updated pull request #${view.number}`, [section(`🔀 Pushed ${inlineCode(view.commit.slice(0, 10), 12)} to pull request ${link(view.url, `#${view.number}`)} and commented there.`)]);
}

export function renderPullRequestClosed(view: { number: number; url: string; merged: boolean }): SlackMessage {
  const state = view.merged ? 'was merged' : 'was closed';
  return buildMessage(`Pull request #${view.number} ${state}`, [
    section(`⚠️ Pull request ${link(view.url, `#${view.number}`)} ${state} meanwhile, so this turn was not pushed to it. Click *Open pull request* on the summary to open a new one.`),
  ]);
}

export function renderPullRequestFailed(view: { message: string }): SlackMessage {
  return buildMessage('⚠️ The pull request was not opened', [section(`⚠️ ${truncateText(view.message.trim(), 1500, { escape: true, maxLines: 10 })}`)]);
}

export function renderBranchReset(view: { turn: number; branch: string; to: string; pushed: boolean; by: string }): SlackMessage {
  const where = view.pushed ? ' here and upstream' : '';
  return buildMessage(`↩️ Undid turn ${view.turn}`, [
    section(`↩️ ${mention(view.by)} undid turn ${view.turn}: ${inlineCode(view.branch, 100)} is back at ${inlineCode(view.to.slice(0, 10), 12)}${where}, as before that turn. The next reply starts from there.`),
  ]);
}

export function renderBranchResetFailed(view: { turn: number; message: string }): SlackMessage {
  return buildMessage(`⚠️ Turn ${view.turn} was not undone`, [section(`⚠️ ${truncateText(view.message.trim(), 1500, { escape: true, maxLines: 10 })}`)]);
}
