import type { Button, KnownBlock } from '@slack/web-api';
import { actions, button, context, section } from './block-kit.js';
import { answerActionId, encodeButtonValue } from './button-value.js';
import { mention, slackTime } from './format.js';
import { snippet, truncateText } from './limits.js';
import { buildMessage, type SlackMessage } from './message.js';

/** A question of the agent to the thread, from the `question_asked` event. */
export interface QuestionView {
  taskId: string;
  questionId: string;
  question: string;
  /** Up to five; each is a button. None: a free-text question. */
  choices: readonly string[];
  /** ISO time after which the agent goes on without an answer. */
  expiresAt: string;
}

/**
 * The question in the thread: what the agent asks, one button per choice (the value carries the
 * task id, question id and choice index, never the choice's text), and how to answer in words.
 */
export function renderQuestion(view: QuestionView): SlackMessage {
  const blocks: KnownBlock[] = [section(`❓ *The agent asks:*\n${truncateText(view.question.trim(), 2500, { escape: true, maxLines: 30 })}`)];
  const buttons: Button[] = view.choices.slice(0, 5).map((choice, c) => button({ text: choice, actionId: answerActionId(c), value: encodeButtonValue({ t: view.taskId, q: view.questionId, c }) }));
  if (buttons.length > 0) blocks.push(actions('codex_question_choices', buttons));
  const how = buttons.length > 0 ? 'Click an answer, or reply in this thread in your own words.' : 'Reply in this thread to answer.';
  blocks.push(context([`${how} The first answer counts. ⏳ Until ${slackTime(view.expiresAt)}; with no answer by then the agent goes on with its best judgment.`]));
  return buildMessage(`❓ The agent asks: ${snippet(view.question, 150)}`, blocks);
}

/** The question once closed (`question_answered`): the question and its answer, without buttons. */
export function renderQuestionAnswered(view: { question: string; answer?: string; by?: string; at: string; timedOut?: boolean }): SlackMessage {
  const asked = `❓ *The agent asked:* ${truncateText(view.question.trim(), 1000, { escape: true, maxLines: 10 })}`;
  const line =
    view.answer !== undefined
      ? `💬 ${view.by ? mention(view.by) : 'Someone'} answered at ${slackTime(view.at)}: *${truncateText(view.answer.trim(), 1000, { escape: true, maxLines: 10 })}*`
      : view.timedOut
        ? `⌛ No answer by ${slackTime(view.at)}: the agent goes on with its best judgment.`
        : `⏹️ The question closed unanswered at ${slackTime(view.at)}: the task was stopped.`;
  return buildMessage(`${snippet(view.question, 100)}: ${view.answer !== undefined ? snippet(view.answer, 100) : 'no answer'}`.replace(/<!date\^\d+\^[^|]*\|([^>]*)>/g, '$1'), [section(asked), section(line)]);
}
