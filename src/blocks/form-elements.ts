import type { Checkboxes, ConversationsSelect, InputBlock, PlainTextInput, PlainTextOption, StaticSelect } from '@slack/web-api';
import { plainText } from './block-kit.js';
import { SLACK_LIMITS } from './limits.js';

/*
 * Form elements for modals and the App Home (selects, text inputs, checkboxes, input blocks),
 * each within Slack's limits (SLACK_LIMITS): option texts are cut, values that cannot be sent
 * whole are left out rather than cut (a cut value would name something else), lists are capped.
 */

export interface Choice {
  /** What comes back in the submission or the action (a name: never cut). */
  value: string;
  label: string;
}

export function option(choice: Choice): PlainTextOption {
  return { text: plainText(choice.label, SLACK_LIMITS.optionText), value: choice.value };
}

/** The choices that fit a static select: values within the limit, at most 100. */
function fitting(choices: readonly Choice[]): Choice[] {
  return choices.filter((c) => c.value.length > 0 && c.value.length <= SLACK_LIMITS.optionValue).slice(0, SLACK_LIMITS.selectOptions);
}

/** A static select; `initial` is shown selected when it is one of the options. */
export function staticSelect(spec: { actionId: string; placeholder: string; choices: readonly Choice[]; initial?: string }): StaticSelect {
  const options = fitting(spec.choices).map(option);
  const initial = options.find((o) => o.value === spec.initial);
  return { type: 'static_select', action_id: spec.actionId, placeholder: plainText(spec.placeholder, SLACK_LIMITS.placeholder), options, ...(initial ? { initial_option: initial } : {}) };
}

/** A channel picker (public and private channels, no DMs); `initial` is preselected. */
export function channelSelect(spec: { actionId: string; placeholder: string; initial?: string }): ConversationsSelect {
  return {
    type: 'conversations_select',
    action_id: spec.actionId,
    placeholder: plainText(spec.placeholder, SLACK_LIMITS.placeholder),
    filter: { include: ['public', 'private'], exclude_bot_users: true },
    ...(spec.initial ? { initial_conversation: spec.initial } : {}),
  };
}

export function textInput(spec: { actionId: string; placeholder?: string; multiline?: boolean; maxLength?: number; initial?: string }): PlainTextInput {
  return {
    type: 'plain_text_input',
    action_id: spec.actionId,
    ...(spec.placeholder ? { placeholder: plainText(spec.placeholder, SLACK_LIMITS.placeholder) } : {}),
    ...(spec.multiline ? { multiline: true } : {}),
    max_length: Math.min(spec.maxLength ?? SLACK_LIMITS.plainTextInput, SLACK_LIMITS.plainTextInput),
    ...(spec.initial ? { initial_value: spec.initial } : {}),
  };
}

export function checkboxes(spec: { actionId: string; choices: readonly Choice[] }): Checkboxes {
  return { type: 'checkboxes', action_id: spec.actionId, options: fitting(spec.choices).slice(0, SLACK_LIMITS.checkboxOptions).map(option) };
}

export function input(spec: { blockId: string; label: string; element: InputBlock['element']; hint?: string; optional?: boolean }): InputBlock {
  return {
    type: 'input',
    block_id: spec.blockId,
    label: plainText(spec.label, SLACK_LIMITS.inputLabel),
    element: spec.element,
    ...(spec.hint ? { hint: plainText(spec.hint, SLACK_LIMITS.inputHint) } : {}),
    ...(spec.optional ? { optional: true } : {}),
  };
}
