import type { KnownBlock } from '@slack/web-api';
import type { DiffStat, TokenUsage } from '../tasks/protocol.js';
import { renderAgentText } from './agent-text.js';
import { actions, button, context, section } from './block-kit.js';
import { ACTION_IDS, encodeButtonValue } from './button-value.js';
import { formatLineCounts, renderDiffStat } from './diff-stat.js';
import { formatElapsed, formatUsage, mention } from './format.js';
import { inlineCode, plural, snippet } from './limits.js';
import { buildMessage, type SlackMessage } from './message.js';

/** What is known about the tests: from the last test command the agent ran, when there was one. */
export interface TestOutcome {
  outcome: 'passed' | 'failed' | 'not_run';
  /** A short line, e.g. the command or "42 passed, 1 skipped". */
  detail?: string;
}

/** The final summary, from `task_completed` plus what the reporter gathered on the way. */
export interface SummaryView {
  /** The agent's own summary of what it did (Markdown). */
  summary: string;
  diffStat: DiffStat;
  branch: string;
  commit?: string;
  repo?: string;
  owner?: string;
  tests?: TestOutcome;
  /** Set when a budget ended the task early. */
  budget?: 'steps' | 'time' | 'tokens';
  elapsedMs?: number;
  usage?: TokenUsage;
  /** Buttons of a turn that changed files: Open pull request (on a code host, none open yet) and Undo. */
  delivery?: { taskId: string; turn: number; openPullRequest: boolean; undo: boolean; pullRequest?: { number: number; url: string } };
}

const BUDGET_TEXT: Record<NonNullable<SummaryView['budget']>, string> = {
  steps: 'it reached its step limit',
  time: 'it reached its time limit',
  tokens: 'it reached its token limit',
};

const TESTS_TEXT: Record<TestOutcome['outcome'], string> = {
  passed: '✅ Tests passed',
  failed: '❌ Tests failed',
  not_run: '➖ Tests were not run',
};

/**
 * What was done, the tests' outcome if known, the files changed with +/-, where the work is
 * (branch and commit) and, when a budget cut the task short, that it did.
 */
export function renderSummary(view: SummaryView): SlackMessage {
  const headline = view.budget ? `⚠️ *Stopped early*: ${BUDGET_TEXT[view.budget]}.` : '✅ *Done*';
  const who = view.owner ? ` · for ${mention(view.owner)}` : '';
  const blocks: KnownBlock[] = [section(`${headline}${who}`), section(renderAgentText(view.summary, 2800, 40))];
  if (view.tests) {
    const detail = view.tests.detail ? `: ${snippet(view.tests.detail, 200)}` : '';
    blocks.push(section(`${TESTS_TEXT[view.tests.outcome]}${detail}`));
  }
  blocks.push(section(renderDiffStat(view.diffStat)));
  const where = [`🌿 ${inlineCode(view.branch, 100)}`];
  if (view.commit) where.push(`commit ${inlineCode(view.commit.slice(0, 12), 12)}`);
  if (view.repo) where.push(`📦 ${snippet(view.repo, 80)}`);
  if (view.elapsedMs !== undefined) where.push(`⏱ ${formatElapsed(view.elapsedMs)}`);
  if (view.usage) where.push(formatUsage(view.usage));
  if (view.delivery?.pullRequest && /^https?:\/\/[^\s|<>]+$/.test(view.delivery.pullRequest.url)) where.push(`🔀 <${view.delivery.pullRequest.url}|pull request #${view.delivery.pullRequest.number}>`);
  blocks.push(context(where));
  const d = view.delivery;
  if (d && (d.openPullRequest || d.undo)) {
    const buttons = [];
    if (d.openPullRequest) buttons.push(button({ text: 'Open pull request', actionId: ACTION_IDS.openPullRequest, value: encodeButtonValue({ t: d.taskId }), style: 'primary' }));
    if (d.undo) {
      buttons.push(
        button({
          text: 'Undo',
          actionId: ACTION_IDS.undo,
          value: encodeButtonValue({ t: d.taskId, n: d.turn }),
          confirm: { title: 'Undo this turn?', text: `The branch ${view.branch} goes back to where it was before this turn${d.pullRequest ? ', on GitHub too' : ''}.`, confirm: 'Undo', deny: 'Keep it', danger: true },
        }),
      );
    }
    blocks.push(actions(`codex_delivery_${d.turn}`, buttons));
  }
  const changed = view.diffStat.files.length > 0 ? `${plural(view.diffStat.files.length, 'file')} changed (${formatLineCounts(view.diffStat.added, view.diffStat.removed)})` : 'no files changed';
  const fallback = `${view.budget ? '⚠️ Stopped early' : '✅ Done'}: ${changed} on ${snippet(view.branch, 100)}`;
  return buildMessage(fallback, blocks);
}
