import { BLOCKS_TEXT_HARD_LIMIT, SLACK_LIMITS } from '../../src/blocks/limits.js';

/*
 * An independent Block Kit validator for the fake Slack server and for the builders' tests.
 * It shares only the limit numbers with src/blocks/limits.ts (the two must agree on those)
 * and none of the code: it walks what was sent and checks it the way Slack's API does
 * (unknown block types and fields, empty or oversized texts, counts, duplicate ids), answering
 * issues with JSON pointers like Slack's `[json-pointer:/blocks/0/text/text]`.
 */

export interface BlockIssue {
  pointer: string;
  message: string;
}

export type Surface = 'message' | 'home' | 'modal';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const BLOCK_KEYS: Record<string, string[]> = {
  section: ['type', 'block_id', 'text', 'fields', 'accessory', 'expand'],
  header: ['type', 'block_id', 'text'],
  context: ['type', 'block_id', 'elements'],
  actions: ['type', 'block_id', 'elements'],
  divider: ['type', 'block_id'],
  image: ['type', 'block_id', 'image_url', 'alt_text', 'title', 'slack_file'],
  markdown: ['type', 'block_id', 'text'],
  rich_text: ['type', 'block_id', 'elements'],
  input: ['type', 'block_id', 'label', 'element', 'hint', 'optional', 'dispatch_action'],
};
/** Interactive elements other than buttons, with the fields Slack takes for each. */
const ELEMENT_KEYS: Record<string, string[]> = {
  static_select: ['type', 'action_id', 'placeholder', 'options', 'option_groups', 'initial_option', 'confirm', 'focus_on_load'],
  conversations_select: ['type', 'action_id', 'placeholder', 'initial_conversation', 'default_to_current_conversation', 'confirm', 'response_url_enabled', 'filter', 'focus_on_load'],
  plain_text_input: ['type', 'action_id', 'placeholder', 'initial_value', 'multiline', 'min_length', 'max_length', 'dispatch_action_config', 'focus_on_load'],
  checkboxes: ['type', 'action_id', 'options', 'initial_options', 'confirm', 'focus_on_load'],
};
/** Where each element may be: an actions block, or an input block's `element`. */
const ACTIONS_ELEMENTS = new Set(['button', 'static_select', 'conversations_select', 'checkboxes']);
const INPUT_ELEMENTS = new Set(['static_select', 'conversations_select', 'plain_text_input', 'checkboxes']);
const CONVERSATION_FILTER = new Set(['im', 'mpim', 'private', 'public']);
const BUTTON_KEYS = ['type', 'text', 'action_id', 'value', 'url', 'style', 'confirm', 'accessibility_label'];
const CONFIRM_KEYS = ['title', 'text', 'confirm', 'deny', 'style'];
const IMAGE_ELEMENT_KEYS = ['type', 'image_url', 'alt_text', 'slack_file'];
/** The cumulative text limit of `markdown` blocks in one message (documented). */
const MARKDOWN_BLOCK_TEXT = 12_000;

class Checker {
  readonly issues: BlockIssue[] = [];
  private readonly actionIds = new Set<string>();

  fail(pointer: string, message: string): void {
    this.issues.push({ pointer, message });
  }

  keys(o: Obj, allowed: string[], p: string): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(`${p}/${k}`, `invalid additional property: ${k}`);
  }

  /** A text object; `plainOnly` for fields Slack documents as plain_text only. */
  text(v: unknown, p: string, max: number, plainOnly = false): void {
    if (!isObj(v)) return this.fail(p, 'must be a text object');
    if (v.type !== 'plain_text' && v.type !== 'mrkdwn') return this.fail(`${p}/type`, 'must be plain_text or mrkdwn');
    if (plainOnly && v.type !== 'plain_text') this.fail(`${p}/type`, 'must be plain_text');
    this.keys(v, v.type === 'plain_text' ? ['type', 'text', 'emoji'] : ['type', 'text', 'verbatim'], p);
    if (typeof v.text !== 'string') return this.fail(`${p}/text`, 'must be a string');
    if (v.text.trim().length === 0) this.fail(`${p}/text`, 'must be more than 0 characters');
    if (v.text.length > max) this.fail(`${p}/text`, `must be less than ${max + 1} characters`);
  }

  stringMax(v: unknown, p: string, max: number, required = false): void {
    if (v === undefined) {
      if (required) this.fail(p, 'missing required field');
      return;
    }
    if (typeof v !== 'string' || v.length === 0) return this.fail(p, 'must be a non-empty string');
    if (v.length > max) this.fail(p, `must be less than ${max + 1} characters`);
  }

  confirm(v: unknown, p: string): void {
    if (!isObj(v)) return this.fail(p, 'must be a confirmation dialog object');
    this.keys(v, CONFIRM_KEYS, p);
    this.text(v.title, `${p}/title`, SLACK_LIMITS.confirmTitle, true);
    this.text(v.text, `${p}/text`, SLACK_LIMITS.confirmText);
    this.text(v.confirm, `${p}/confirm`, SLACK_LIMITS.confirmButton, true);
    this.text(v.deny, `${p}/deny`, SLACK_LIMITS.confirmButton, true);
    if (v.style !== undefined && v.style !== 'primary' && v.style !== 'danger') this.fail(`${p}/style`, 'must be primary or danger');
  }

  button(v: Obj, p: string, blockActionIds: Set<string>): void {
    this.keys(v, BUTTON_KEYS, p);
    this.text(v.text, `${p}/text`, SLACK_LIMITS.buttonText, true);
    this.stringMax(v.action_id, `${p}/action_id`, SLACK_LIMITS.actionId);
    if (typeof v.action_id === 'string') {
      if (blockActionIds.has(v.action_id)) this.fail(`${p}/action_id`, `duplicate action_id: ${v.action_id}`);
      blockActionIds.add(v.action_id);
      this.actionIds.add(v.action_id);
    }
    if (v.value !== undefined && (typeof v.value !== 'string' || v.value.length > SLACK_LIMITS.buttonValue)) {
      this.fail(`${p}/value`, `must be a string of at most ${SLACK_LIMITS.buttonValue} characters`);
    }
    this.stringMax(v.url, `${p}/url`, SLACK_LIMITS.buttonUrl);
    if (v.style !== undefined && v.style !== 'primary' && v.style !== 'danger') this.fail(`${p}/style`, 'must be primary or danger');
    if (v.confirm !== undefined) this.confirm(v.confirm, `${p}/confirm`);
  }

  /** An option object of a select or checkboxes; returns its value. */
  option(v: unknown, p: string): string | undefined {
    if (!isObj(v)) return void this.fail(p, 'must be an option object');
    this.keys(v, ['text', 'value', 'description', 'url'], p);
    this.text(v.text, `${p}/text`, SLACK_LIMITS.optionText);
    this.stringMax(v.value, `${p}/value`, SLACK_LIMITS.optionValue, true);
    return typeof v.value === 'string' ? v.value : undefined;
  }

  /** static_select, conversations_select, plain_text_input or checkboxes, where `allowed` says it may be. */
  element(v: unknown, p: string, allowed: Set<string>, blockActionIds: Set<string>): void {
    if (!isObj(v)) return this.fail(p, 'must be an element');
    const type = String(v.type);
    if (!allowed.has(type)) return this.fail(`${p}/type`, `unsupported element type: ${type}`);
    if (type === 'button') return this.button(v, p, blockActionIds);
    this.keys(v, ELEMENT_KEYS[type]!, p);
    this.stringMax(v.action_id, `${p}/action_id`, SLACK_LIMITS.actionId);
    if (typeof v.action_id === 'string') {
      if (blockActionIds.has(v.action_id)) this.fail(`${p}/action_id`, `duplicate action_id: ${v.action_id}`);
      blockActionIds.add(v.action_id);
    }
    if (v.placeholder !== undefined) this.text(v.placeholder, `${p}/placeholder`, SLACK_LIMITS.placeholder, true);
    if (v.confirm !== undefined) this.confirm(v.confirm, `${p}/confirm`);
    if (type === 'static_select' || type === 'checkboxes') {
      const max = type === 'static_select' ? SLACK_LIMITS.selectOptions : SLACK_LIMITS.checkboxOptions;
      if (type === 'static_select' && v.option_groups !== undefined) return this.fail(`${p}/option_groups`, 'option_groups is not supported by this fake');
      if (!Array.isArray(v.options) || v.options.length === 0) return this.fail(`${p}/options`, 'must be a non-empty array');
      if (v.options.length > max) this.fail(`${p}/options`, `must have at most ${max} items`);
      const values = v.options.map((o, i) => this.option(o, `${p}/options/${i}`));
      const initial = type === 'static_select' ? (v.initial_option === undefined ? [] : [v.initial_option]) : v.initial_options === undefined ? [] : Array.isArray(v.initial_options) ? v.initial_options : [null];
      const key = type === 'static_select' ? 'initial_option' : 'initial_options';
      initial.forEach((o: unknown, i: number) => {
        const ptr = type === 'static_select' ? `${p}/${key}` : `${p}/${key}/${i}`;
        const value = this.option(o, ptr);
        // Slack: an initial option must be one of the options, text and value alike.
        const same = v.options as unknown[];
        if (value !== undefined && !same.some((x) => JSON.stringify(x) === JSON.stringify(o))) this.fail(ptr, 'must match one of the provided options');
      });
      if (values.length !== new Set(values).size) this.fail(`${p}/options`, 'option values must be unique');
    }
    if (type === 'conversations_select') {
      if (v.initial_conversation !== undefined && (typeof v.initial_conversation !== 'string' || !/^[CGD][A-Z0-9]{2,}$/.test(v.initial_conversation))) this.fail(`${p}/initial_conversation`, 'must be a conversation id');
      if (v.filter !== undefined) {
        if (!isObj(v.filter)) return this.fail(`${p}/filter`, 'must be a filter object');
        this.keys(v.filter, ['include', 'exclude_external_shared_channels', 'exclude_bot_users'], `${p}/filter`);
        const inc = v.filter.include;
        if (inc !== undefined && (!Array.isArray(inc) || inc.length === 0 || inc.some((x) => !CONVERSATION_FILTER.has(String(x))))) this.fail(`${p}/filter/include`, 'must be a non-empty array of im, mpim, private, public');
      }
    }
    if (type === 'plain_text_input') {
      const min = v.min_length;
      const max = v.max_length;
      if (min !== undefined && (typeof min !== 'number' || !Number.isInteger(min) || min < 0 || min > SLACK_LIMITS.plainTextInput)) this.fail(`${p}/min_length`, `must be an integer from 0 to ${SLACK_LIMITS.plainTextInput}`);
      if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > SLACK_LIMITS.plainTextInput)) this.fail(`${p}/max_length`, `must be an integer from 1 to ${SLACK_LIMITS.plainTextInput}`);
      if (typeof min === 'number' && typeof max === 'number' && min > max) this.fail(`${p}/min_length`, 'must not exceed max_length');
      if (v.initial_value !== undefined && typeof v.initial_value !== 'string') this.fail(`${p}/initial_value`, 'must be a string');
      if (v.multiline !== undefined && typeof v.multiline !== 'boolean') this.fail(`${p}/multiline`, 'must be a boolean');
    }
  }

  input(b: Obj, p: string): void {
    this.text(b.label, `${p}/label`, SLACK_LIMITS.inputLabel, true);
    if (b.hint !== undefined) this.text(b.hint, `${p}/hint`, SLACK_LIMITS.inputHint, true);
    if (b.optional !== undefined && typeof b.optional !== 'boolean') this.fail(`${p}/optional`, 'must be a boolean');
    if (b.element === undefined) return this.fail(`${p}/element`, 'missing required field: element');
    this.element(b.element, `${p}/element`, INPUT_ELEMENTS, new Set());
  }

  imageElement(v: Obj, p: string): void {
    this.keys(v, IMAGE_ELEMENT_KEYS, p);
    if (v.image_url === undefined && v.slack_file === undefined) this.fail(p, 'missing required field: image_url');
    this.stringMax(v.alt_text, `${p}/alt_text`, 2000, true);
  }

  block(b: unknown, p: string, blockIds: Set<string>): void {
    if (!isObj(b)) return this.fail(p, 'must be an object');
    const type = b.type;
    if (typeof type !== 'string' || !BLOCK_KEYS[type]) return this.fail(`${p}/type`, `unsupported type: ${String(type)}`);
    this.keys(b, BLOCK_KEYS[type], p);
    if (b.block_id !== undefined) {
      this.stringMax(b.block_id, `${p}/block_id`, SLACK_LIMITS.blockId);
      if (typeof b.block_id === 'string') {
        if (blockIds.has(b.block_id)) this.fail(`${p}/block_id`, `duplicate block_id: ${b.block_id}`);
        blockIds.add(b.block_id);
      }
    }
    switch (type) {
      case 'section':
        return this.section(b, p);
      case 'header':
        return this.text(b.text, `${p}/text`, SLACK_LIMITS.headerText, true);
      case 'context':
        return this.context(b, p);
      case 'actions':
        return this.actions(b, p);
      case 'input':
        return this.input(b, p);
      case 'markdown':
        if (typeof b.text !== 'string' || b.text.length === 0) this.fail(`${p}/text`, 'must be a non-empty string');
        return;
      case 'image':
        if (b.image_url === undefined && b.slack_file === undefined) this.fail(p, 'missing required field: image_url');
        return this.stringMax(b.alt_text, `${p}/alt_text`, 2000, true);
      default:
        return;
    }
  }

  section(b: Obj, p: string): void {
    if (b.text === undefined && b.fields === undefined) return this.fail(p, 'must have text or fields');
    if (b.text !== undefined) this.text(b.text, `${p}/text`, SLACK_LIMITS.sectionText);
    if (b.fields !== undefined) {
      if (!Array.isArray(b.fields) || b.fields.length === 0) return this.fail(`${p}/fields`, 'must be a non-empty array');
      if (b.fields.length > SLACK_LIMITS.sectionFields) this.fail(`${p}/fields`, `must have at most ${SLACK_LIMITS.sectionFields} items`);
      b.fields.forEach((f, i) => this.text(f, `${p}/fields/${i}`, SLACK_LIMITS.sectionFieldText));
    }
    if (b.accessory !== undefined) {
      if (!isObj(b.accessory)) return this.fail(`${p}/accessory`, 'must be an element');
      if (b.accessory.type === 'button') this.button(b.accessory, `${p}/accessory`, new Set());
      else if (b.accessory.type === 'image') this.imageElement(b.accessory, `${p}/accessory`);
      else this.fail(`${p}/accessory/type`, `unsupported element type: ${String(b.accessory.type)}`);
    }
  }

  context(b: Obj, p: string): void {
    const els = b.elements;
    if (!Array.isArray(els) || els.length === 0) return this.fail(`${p}/elements`, 'must be a non-empty array');
    if (els.length > SLACK_LIMITS.contextElements) this.fail(`${p}/elements`, `must have at most ${SLACK_LIMITS.contextElements} items`);
    els.forEach((e, i) => {
      if (isObj(e) && e.type === 'image') this.imageElement(e, `${p}/elements/${i}`);
      else this.text(e, `${p}/elements/${i}`, SLACK_LIMITS.contextText);
    });
  }

  actions(b: Obj, p: string): void {
    const els = b.elements;
    if (!Array.isArray(els) || els.length === 0) return this.fail(`${p}/elements`, 'must be a non-empty array');
    if (els.length > SLACK_LIMITS.actionsElements) this.fail(`${p}/elements`, `must have at most ${SLACK_LIMITS.actionsElements} items`);
    const ids = new Set<string>();
    els.forEach((e, i) => this.element(e, `${p}/elements/${i}`, ACTIONS_ELEMENTS, ids));
  }
}

/**
 * Checks a blocks array for `surface`. Returns every issue found (empty when valid), each
 * with a JSON pointer rooted at `base` (`/blocks` for a message, `/view/blocks` for a view).
 */
export function validateBlocks(blocks: unknown, surface: Surface = 'message', base = '/blocks'): BlockIssue[] {
  const c = new Checker();
  if (!Array.isArray(blocks)) {
    c.fail(base, 'must be an array');
    return c.issues;
  }
  const max = surface === 'message' ? SLACK_LIMITS.messageBlocks : SLACK_LIMITS.viewBlocks;
  if (blocks.length > max) c.fail(base, `must have at most ${max} items`);
  const blockIds = new Set<string>();
  blocks.forEach((b, i) => c.block(b, `${base}/${i}`, blockIds));
  const markdownText = blocks.reduce((n: number, b) => n + (isObj(b) && b.type === 'markdown' && typeof b.text === 'string' ? b.text.length : 0), 0);
  if (markdownText > MARKDOWN_BLOCK_TEXT) c.fail(base, `markdown blocks must have at most ${MARKDOWN_BLOCK_TEXT} characters in total`);
  return c.issues;
}

/** Sum of the lengths of all text objects' `text` in a block tree (for `msg_blocks_too_long`). */
export function totalBlockText(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((n: number, x) => n + totalBlockText(x), 0);
  if (!isObj(node)) return 0;
  let n = 0;
  if ((node.type === 'plain_text' || node.type === 'mrkdwn' || node.type === 'markdown') && typeof node.text === 'string') n += node.text.length;
  for (const [k, v] of Object.entries(node)) if (k !== 'text' || typeof v !== 'string') n += totalBlockText(v);
  return n;
}

export type MessageCheck =
  | { ok: true }
  | { ok: false; error: 'no_text' | 'msg_too_long' | 'invalid_blocks' | 'msg_blocks_too_long'; issues: BlockIssue[] };

/** What Slack would answer to a message's `text` and `blocks` (before any other argument). */
export function checkMessage(message: { text?: unknown; blocks?: unknown; attachments?: unknown }): MessageCheck {
  const hasText = typeof message.text === 'string' && message.text.length > 0;
  const hasBlocks = Array.isArray(message.blocks) && message.blocks.length > 0;
  if (!hasText && !hasBlocks && message.attachments === undefined) return { ok: false, error: 'no_text', issues: [] };
  if (typeof message.text === 'string' && message.text.length > SLACK_LIMITS.messageText) {
    return { ok: false, error: 'msg_too_long', issues: [{ pointer: '/text', message: `must be at most ${SLACK_LIMITS.messageText} characters` }] };
  }
  if (message.blocks !== undefined) {
    const issues = validateBlocks(message.blocks, 'message');
    if (issues.length > 0) return { ok: false, error: 'invalid_blocks', issues };
    const total = totalBlockText(message.blocks);
    if (total > BLOCKS_TEXT_HARD_LIMIT) {
      return { ok: false, error: 'msg_blocks_too_long', issues: [{ pointer: '/blocks', message: `${total} characters of text in blocks (limit ${BLOCKS_TEXT_HARD_LIMIT})` }] };
    }
  }
  return { ok: true };
}

/** For tests: throws with every issue when a built message would not pass Slack. */
export function assertValidMessage(message: { text: string; blocks: unknown[] }): void {
  const check = checkMessage(message);
  if (!check.ok) throw new Error(`${check.error}:\n${check.issues.map((i) => `  ${i.message} [json-pointer:${i.pointer}]`).join('\n')}`);
  if (message.text.trim().length === 0) throw new Error('fallback text is empty');
}

const MODAL_KEYS = ['type', 'title', 'blocks', 'close', 'submit', 'private_metadata', 'callback_id', 'clear_on_close', 'notify_on_close', 'external_id', 'submit_disabled'];

/**
 * Checks a modal view as `views.open` does: type `modal`, a plain_text title of at most 24
 * characters, submit and close likewise (submit required when there is an input block),
 * at most 100 valid blocks, callback_id ≤ 255, private_metadata ≤ 3,000, external_id ≤ 255.
 */
export function validateModal(view: unknown): BlockIssue[] {
  if (!isObj(view)) return [{ pointer: '/view', message: 'must be a view object' }];
  const c = new Checker();
  c.keys(view, MODAL_KEYS, '/view');
  if (view.type !== 'modal') c.fail('/view/type', 'must be modal');
  c.text(view.title, '/view/title', SLACK_LIMITS.viewTitle, true);
  if (view.submit !== undefined) c.text(view.submit, '/view/submit', SLACK_LIMITS.viewButton, true);
  if (view.close !== undefined) c.text(view.close, '/view/close', SLACK_LIMITS.viewButton, true);
  if (Array.isArray(view.blocks) && view.submit === undefined && view.blocks.some((b) => isObj(b) && b.type === 'input')) c.fail('/view/submit', 'submit is required when an input block is within the blocks array');
  c.stringMax(view.callback_id, '/view/callback_id', SLACK_LIMITS.callbackId);
  c.stringMax(view.external_id, '/view/external_id', 255);
  if (view.private_metadata !== undefined && (typeof view.private_metadata !== 'string' || view.private_metadata.length > SLACK_LIMITS.privateMetadata)) c.fail('/view/private_metadata', `must be a string of at most ${SLACK_LIMITS.privateMetadata} characters`);
  return [...c.issues, ...validateBlocks(view.blocks, 'modal', '/view/blocks')];
}
