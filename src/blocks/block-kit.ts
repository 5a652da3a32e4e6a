import type {
  ActionsBlock,
  Button,
  ConfirmationDialog,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  MrkdwnElement,
  PlainTextElement,
  SectionBlock,
} from '@slack/web-api';
import { clampPlain, SLACK_LIMITS, truncateText } from './limits.js';

/*
 * Block constructors that cannot produce an invalid block: every text is clamped to its
 * limit and never empty. Mrkdwn passed in is expected to be escaped already (the builders
 * escape user content where they compose it); the clamps here are a safety net that cut
 * without splitting an `&amp;`-style entity.
 */

/** Cuts mrkdwn that is already escaped; drops a trailing, half-cut `&…;` entity. */
export function clampMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text || ' ';
  return truncateText(text, max).replace(/&[a-z]{0,3}(?=( … [\d,]+ more characters)?$)/, '') || ' ';
}

export function plainText(text: string, max: number): PlainTextElement {
  return { type: 'plain_text', text: clampPlain(text, max) || '-', emoji: true };
}

export function mrkdwnText(text: string, max: number = SLACK_LIMITS.sectionText): MrkdwnElement {
  return { type: 'mrkdwn', text: clampMrkdwn(text, max) };
}

export function section(text: string, blockId?: string): SectionBlock {
  return { type: 'section', text: mrkdwnText(text), ...(blockId ? { block_id: blockId } : {}) };
}

export function header(text: string): HeaderBlock {
  return { type: 'header', text: plainText(text, SLACK_LIMITS.headerText) };
}

/** A context block of mrkdwn elements; more than ten are merged into the tenth. */
export function context(elements: string[]): ContextBlock {
  const parts = elements.filter((e) => e.length > 0);
  const max = SLACK_LIMITS.contextElements;
  const merged = parts.length > max ? [...parts.slice(0, max - 1), parts.slice(max - 1).join(' · ')] : parts;
  return { type: 'context', elements: (merged.length > 0 ? merged : [' ']).map((e) => mrkdwnText(e, SLACK_LIMITS.contextText)) };
}

export function divider(): DividerBlock {
  return { type: 'divider' };
}

export interface ConfirmSpec {
  title: string;
  text: string;
  confirm: string;
  deny: string;
  danger?: boolean;
}

export function confirmDialog(spec: ConfirmSpec): ConfirmationDialog {
  return {
    title: plainText(spec.title, SLACK_LIMITS.confirmTitle),
    text: plainText(spec.text, SLACK_LIMITS.confirmText),
    confirm: plainText(spec.confirm, SLACK_LIMITS.confirmButton),
    deny: plainText(spec.deny, SLACK_LIMITS.confirmButton),
    ...(spec.danger ? { style: 'danger' as const } : {}),
  };
}

export interface ButtonSpec {
  text: string;
  actionId: string;
  /** Already serialised (see button-value.ts); must fit the 2,000-character limit. */
  value: string;
  style?: 'primary' | 'danger';
  confirm?: ConfirmSpec;
}

export function button(spec: ButtonSpec): Button {
  if (spec.value.length > SLACK_LIMITS.buttonValue) throw new RangeError(`button value over ${SLACK_LIMITS.buttonValue} characters`);
  return {
    type: 'button',
    text: plainText(spec.text, SLACK_LIMITS.buttonText),
    action_id: spec.actionId,
    value: spec.value,
    ...(spec.style ? { style: spec.style } : {}),
    ...(spec.confirm ? { confirm: confirmDialog(spec.confirm) } : {}),
  };
}

export function actions(blockId: string, elements: Button[]): ActionsBlock {
  return { type: 'actions', block_id: blockId, elements: elements.slice(0, SLACK_LIMITS.actionsElements) };
}
