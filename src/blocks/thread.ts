import type { KnownBlock } from '@slack/web-api';
import type { TaskEvent } from '../tasks/protocol.js';
import { renderAgentText } from './agent-text.js';
import { context, section } from './block-kit.js';
import { formatDuration, formatTokens, mention } from './format.js';
import { codeBlock, inlineCode, plural, SLACK_LIMITS, snippet, truncateText } from './limits.js';
import { buildMessage, type SlackMessage } from './message.js';

export { renderSummary, type SummaryView, type TestOutcome } from './summary.js';

/*
 * The messages a task posts into its thread besides the status card.
 */

/** Narration: what the model said between steps, capped to one section. */
export function renderNarration(view: { text: string }): SlackMessage {
  const text = renderAgentText(view.text, SLACK_LIMITS.sectionText, 40);
  const plain = view.text.replace(/```[\s\S]*?(```|$)/g, ' ').replace(/^#{1,6}\s+/gm, '').replace(/\*\*|__/g, '');
  return buildMessage(`💬 ${snippet(plain, 150) || 'Update'}`, [section(text)]);
}

/** One finished command, as the protocol reports it. */
export type CommandResult = Pick<Extract<TaskEvent, { type: 'command_finished' }>, 'command' | 'exitCode' | 'durationMs' | 'timedOut' | 'outputTail'>;
/** A use of the hosted web search tool, listed among the commands. */
export type WebSearchResult = Pick<Extract<TaskEvent, { type: 'web_search' }>, 'action' | 'detail' | 'ok'>;
/** One line of a command log. */
export type LogEntry = CommandResult | WebSearchResult;

const isSearch = (e: LogEntry): e is WebSearchResult => 'action' in e;

const SEARCH_VERBS: Record<WebSearchResult['action'], string> = { search: 'searched the web for', open_page: 'opened', find_in_page: 'searched a page for' };

function searchLine(s: WebSearchResult): string {
  return `${s.ok ? '🔎' : '✗ 🔎'} ${SEARCH_VERBS[s.action]} ${inlineCode(s.detail, 120)}${s.ok ? '' : ' (failed)'}`;
}

/** Commands listed in one log message; the rest are counted. */
export const COMMAND_LOG_MAX = 10;
/** Failures whose output tail is shown; each tail is short. */
const FAILURE_TAILS_MAX = 3;
const TAIL_CHARS = 900;
const TAIL_LINES = 15;

function failed(c: LogEntry): boolean {
  if (isSearch(c)) return !c.ok;
  return c.exitCode !== 0 || c.timedOut;
}

function commandLine(c: LogEntry): string {
  if (isSearch(c)) return searchLine(c);
  const cmd = inlineCode(c.command, 70);
  const took = formatDuration(c.durationMs);
  if (c.timedOut) return `✗ ${cmd} timed out after ${took}`;
  if (c.exitCode !== 0) return `✗ ${cmd} exit ${c.exitCode} (${took})`;
  return `✓ ${cmd} (${took})`;
}

/**
 * A batch of finished commands in one message, so a 40-step task does not flood the thread.
 * Failures are kept first when the batch is over `maxCommands` (they matter most), order is
 * otherwise preserved, and the rest is counted: "… and 12 more (11 ✓, 1 ✗)". The last lines
 * of output are shown for up to three failures.
 */
export function renderCommandLog(view: { commands: LogEntry[]; maxCommands?: number }): SlackMessage {
  const max = Math.max(1, view.maxCommands ?? COMMAND_LOG_MAX);
  const all = view.commands.map((c, i) => ({ c, i }));
  const failures = all.filter((x) => failed(x.c));
  const picked = new Set([...failures, ...all.filter((x) => !failed(x.c))].slice(0, max).map((x) => x.i));
  const shown = all.filter((x) => picked.has(x.i)).map((x) => x.c);
  const hidden = all.filter((x) => !picked.has(x.i)).map((x) => x.c);

  const lines = shown.map(commandLine);
  if (hidden.length > 0) {
    const bad = hidden.filter(failed).length;
    const counts = [hidden.length - bad > 0 ? `${hidden.length - bad} ✓` : '', bad > 0 ? `${bad} ✗` : ''].filter(Boolean).join(', ');
    lines.push(`… and ${formatMore(hidden.length)} (${counts})`);
  }
  const blocks: KnownBlock[] = [section(lines.length > 0 ? lines.join('\n') : 'No commands ran.')];
  for (const c of shown.filter((x): x is CommandResult => !isSearch(x) && failed(x)).slice(0, FAILURE_TAILS_MAX)) {
    const tail = c.outputTail.trim();
    const output = tail ? codeBlock(tail, TAIL_CHARS, { keep: 'tail', maxLines: TAIL_LINES }) : '_(no output)_';
    blocks.push(section(`Output of ${inlineCode(c.command, 70)}:\n${output}`));
  }
  const bad = view.commands.filter(failed).length;
  const searches = view.commands.filter(isSearch).length;
  const ran = view.commands.length - searches;
  const did = [ran > 0 || searches === 0 ? `Ran ${plural(ran, 'command')}` : '', searches > 0 ? `${ran > 0 ? 'used' : 'Used'} web search ${plural(searches, 'time')}` : ''].filter(Boolean).join(', ');
  const fallback = `${did}${bad > 0 ? `, ${bad} failed` : ''}`;
  return buildMessage(fallback, blocks);
}

/** `/codex task --branch <branch> …` when there is a branch to start from. */
function continueCommand(repo: string | undefined, branch: string | undefined): string {
  const repoFlag = repo ? `--repo ${repo} ` : '';
  return branch ? inlineCode(`/codex task ${repoFlag}--branch ${branch} …`, 160) : inlineCode(`/codex task ${repoFlag}…`, 160);
}

function formatMore(n: number): string {
  return `${n.toLocaleString('en-US')} more`;
}

/** The current step was stopped; the task waits for a reply. */
export function renderInterrupted(view: { by?: string }): SlackMessage {
  const who = view.by ? `${mention(view.by)} stopped the current step.` : 'The current step was stopped.';
  return buildMessage(`⏸️ ${who}`, [section(`⏸️ ${who} Reply in this thread to tell the agent what to do next, or press *Cancel* on the card to end the task.`)]);
}

/**
 * The task ended with an error. `message` is the error's user-facing sentence; `hint` says
 * what to do next when the caller knows better than the default.
 */
export function renderFailure(view: { code: string; message: string; repo?: string; branch?: string; hint?: string }): SlackMessage {
  const message = truncateText(view.message.trim() || 'Unknown error.', 1200, { escape: true, maxLines: 12 });
  const kept = view.branch ? `Work done so far is on branch ${inlineCode(view.branch, 100)}. ` : '';
  const next = view.hint
    ? truncateText(view.hint, 600, { escape: true })
    : `To try again${view.branch ? ' from there' : ''}, start a new task with ${continueCommand(view.repo, view.branch)}.`;
  const blocks = [section(`❌ *The task failed.* ${message}`), section(`${kept}${next}`), context([`Error code: ${inlineCode(view.code, 60)}`])];
  return buildMessage(`❌ The task failed: ${snippet(view.message, 150)}`, blocks);
}

/** The task was cancelled (by a person, or by the service when `by` is absent). */
export function renderCancelled(view: { by?: string; repo?: string; branch?: string }): SlackMessage {
  const who = view.by ? `${mention(view.by)} cancelled the task.` : 'The task was cancelled.';
  const kept = view.branch
    ? ` Work done so far is on branch ${inlineCode(view.branch, 100)}; to pick it up, start a new task with ${continueCommand(view.repo, view.branch)}.`
    : '';
  return buildMessage(`🚫 ${who}`, [section(`🚫 ${who}${kept}`)]);
}

/** The task branch was pushed upstream, or the push failed (with the sentence saying why). */
export function renderBranchPushed(view: { branch: string; remote: string; commit: string; ok: boolean; error?: string }): SlackMessage {
  const where = `${inlineCode(view.branch, 100)} to ${inlineCode(view.remote, 200)}`;
  if (view.ok) return buildMessage(`⬆️ Pushed ${view.branch}`, [section(`⬆️ Pushed ${where} (${inlineCode(view.commit.slice(0, 10), 12)}). It is ready for review.`)]);
  const why = truncateText((view.error ?? 'The push failed.').trim(), 800, { escape: true, maxLines: 8 });
  return buildMessage(`⚠️ Could not push ${view.branch}`, [section(`⚠️ Could not push ${where}. ${why}`)]);
}

/** A skill file the agent skipped because its front matter is not valid. */
export function renderSkillInvalid(view: { path: string; problem: string }): SlackMessage {
  const why = truncateText(view.problem.trim(), 600, { escape: true, maxLines: 4 });
  return buildMessage(`⚠️ Skipped the skill ${view.path}`, [section(`⚠️ Skipped the skill ${inlineCode(view.path, 200)}: ${why}. Fix its front matter (\`name\` and \`description\` between \`---\` lines) to use it.`)]);
}

/** Setup was not run: its files came from the setup cache. */
export function renderSetupRestored(view: { commands: string[] }): SlackMessage {
  const what = view.commands.length === 1 ? inlineCode(view.commands[0]!, 200) : `${view.commands.length} setup commands`;
  return buildMessage('♻️ Setup restored from cache', [
    section(`♻️ Setup restored from cache: ${what} did not run again (same sandbox image, setup commands and lockfiles as an earlier run).`),
  ]);
}

/** The conversation was compacted to fit the model's context window; the task goes on. */
export function renderContextCompacted(view: { tokensBefore: number; tokensAfter: number; method: 'endpoint' | 'summary' }): SlackMessage {
  const how = view.method === 'endpoint' ? 'compacted by the model API' : 'the agent summarized its work so far and kept the latest steps';
  const line = `Compacted the conversation: ${formatTokens(view.tokensBefore)} → ${formatTokens(view.tokensAfter)} tokens`;
  return buildMessage(`🗜️ ${line}`, [section(`🗜️ ${line} (${how}), to stay within the model's context window. The task goes on.`)]);
}

/** The diff as a message, when it could not be uploaded as a file: its head, cut visibly. */
export function renderDiffFallback(view: { diff: string; branch: string }): SlackMessage {
  return buildMessage(`Diff of ${view.branch}`, [
    section(`📄 The diff could not be attached as a file; its start is below. The whole change is on ${inlineCode(view.branch, 100)}.`),
    section(codeBlock(view.diff, 2_800, { maxLines: 60, keep: 'head' })),
  ]);
}
