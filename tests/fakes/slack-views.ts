import { randomBytes } from 'node:crypto';
import { validateBlocks, validateModal } from './block-kit-validator.js';
import { SlackApiError, type Args, type Handler } from './slack-methods.js';
import type { SlackHttpResult } from './slack-signing.js';
import { FAKE_IDS, type FakeModal, type FakeWorkspace } from './slack-workspace.js';

/*
 * Modals, as strictly as Slack: `views.open` exchanges a trigger_id that this fake handed out
 * with an interaction (once, within three seconds: `exchanged_trigger_id`, `expired_trigger_id`,
 * `invalid_trigger_id`) for a validated modal (validateModal; over 250 kB is `view_too_large`).
 * Tests then fill the open modal in (`modalState`: only what Slack's client would let a
 * person submit), send the `view_submission` signed like Slack, and read the app's answer with
 * `readSubmissionAnswer`, which refuses what Slack would: anything but an empty 200 or a known
 * `response_action`, and `errors` naming anything but the modal's input blocks.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Slack's trigger_id shape: `<digits>.<digits>.<hex>`. */
const TRIGGER_ID = /^\d+\.\d+\.[0-9a-f]+$/;
const VIEW_MAX_BYTES = 250 * 1024;

/** A trigger_id for an interaction of `user`, good once for the workspace's trigger lifetime. */
export function issueTrigger(ws: FakeWorkspace, user: string): string {
  const id = `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;
  ws.triggers.set(id, { user, issuedAt: Date.now(), exchanged: false });
  return id;
}

function exchangeTrigger(ws: FakeWorkspace, triggerId: string): string {
  if (!TRIGGER_ID.test(triggerId)) throw new SlackApiError('invalid_trigger_id');
  const t = ws.triggers.get(triggerId);
  if (!t) throw new SlackApiError('invalid_trigger_id');
  if (t.exchanged) throw new SlackApiError('exchanged_trigger_id');
  if (Date.now() - t.issuedAt > ws.triggerLifetimeMs) throw new SlackApiError('expired_trigger_id');
  t.exchanged = true;
  return t.user;
}

function viewObject(m: FakeModal): Obj {
  return { id: m.id, team_id: FAKE_IDS.team, app_id: FAKE_IDS.app, bot_id: FAKE_IDS.bot, ...m.view, state: { values: {} }, hash: m.hash, root_view_id: m.id, previous_view_id: null, private_metadata: m.view.private_metadata ?? '', callback_id: m.view.callback_id ?? '', external_id: m.view.external_id ?? '' };
}

const viewsOpen: Handler = ({ ws, args }) => {
  const triggerId = typeof args.trigger_id === 'string' && args.trigger_id !== '' ? args.trigger_id : undefined;
  if (!triggerId && !args.interactivity_pointer) throw new SlackApiError('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: trigger_id'] } });
  if (!triggerId) throw new SlackApiError('invalid_trigger_id');
  const view = args.view;
  if (view === undefined) throw new SlackApiError('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: view'] } });
  if (Buffer.byteLength(JSON.stringify(view)) > VIEW_MAX_BYTES) throw new SlackApiError('view_too_large');
  const issues = validateModal(view);
  if (issues.length > 0) {
    const lines = issues.map((i) => `${i.message} [json-pointer:${i.pointer}]`);
    throw new SlackApiError('invalid_arguments', { response_metadata: { messages: lines.map((l) => `[ERROR] ${l}`) } });
  }
  const v = view as Obj;
  if (typeof v.external_id === 'string' && [...ws.modals.values()].some((m) => m.view.external_id === v.external_id)) throw new SlackApiError('duplicate_external_id');
  const user = exchangeTrigger(ws, triggerId);
  const modal: FakeModal = { id: ws.newId('V'), user, view: v, hash: `${Date.now()}.${randomBytes(4).toString('hex')}`, closed: false };
  ws.modals.set(modal.id, modal);
  return { view: viewObject(modal) };
};

export const VIEW_METHODS: Record<string, Handler> = { 'views.open': viewsOpen };

/** What a person enters: text for a text input, an option's value for a select, values for checkboxes, a channel id. */
export type ModalAnswers = Record<string, string | string[] | undefined>;

/**
 * `view.state.values` for a modal filled in with `answers` (by block_id), as Slack's client
 * builds it: a select can only hold one of its options, and a required input cannot be left
 * empty (the client refuses to submit; this throws).
 */
export function modalState(view: Obj, answers: ModalAnswers): Record<string, Record<string, Obj>> {
  const values: Record<string, Record<string, Obj>> = {};
  for (const block of (view.blocks as Obj[]).filter((b) => b.type === 'input')) {
    const el = block.element as Obj;
    const blockId = String(block.block_id);
    const actionId = String(el.action_id);
    const answer = answers[blockId];
    const empty = answer === undefined || answer === '' || (Array.isArray(answer) && answer.length === 0);
    if (empty && block.optional !== true) throw new Error(`Slack would not submit: the required input "${blockId}" is empty`);
    const options = (el.options as Obj[] | undefined) ?? [];
    const pick = (value: string) => {
      const o = options.find((x) => x.value === value);
      if (!o) throw new Error(`"${value}" is not an option of "${blockId}": Slack's client cannot send it`);
      return o;
    };
    let state: Obj;
    switch (el.type) {
      case 'plain_text_input':
        if (typeof answer === 'string' && typeof el.max_length === 'number' && answer.length > el.max_length) throw new Error(`Slack would not submit: "${blockId}" is longer than ${el.max_length}`);
        state = { type: el.type, value: empty ? null : answer };
        break;
      case 'static_select':
        state = { type: el.type, selected_option: empty ? null : pick(String(answer)) };
        break;
      case 'conversations_select':
        state = { type: el.type, selected_conversation: empty ? null : answer };
        break;
      case 'checkboxes':
        state = { type: el.type, selected_options: empty ? [] : (Array.isArray(answer) ? answer : [answer!]).map(pick) };
        break;
      default:
        throw new Error(`no state for element type ${String(el.type)}`);
    }
    values[blockId] = { [actionId]: state };
  }
  return values;
}

/** The `view_submission` payload Slack sends when a person submits `modal` with `values`. */
export function viewSubmissionPayload(modal: FakeModal, values: Record<string, Record<string, Obj>>, teamId: string = FAKE_IDS.team): Obj {
  return {
    type: 'view_submission',
    team: { id: teamId, domain: 'fake-workspace' },
    user: { id: modal.user, username: 'person', name: 'person', team_id: teamId },
    api_app_id: FAKE_IDS.app,
    token: 'legacy-verification-token',
    trigger_id: `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`,
    view: { ...viewObject(modal), state: { values } },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

export type SubmissionAnswer = { action: 'close' } | { action: 'errors'; errors: Record<string, string> } | { action: 'update' | 'push'; view: Obj };

/**
 * What Slack makes of the app's answer to a `view_submission`: an empty 200 (or `clear`)
 * closes the modal; `errors` must name input blocks of the modal with non-empty sentences;
 * `update`/`push` need a valid modal. Anything else Slack shows the person as a failure: this throws.
 */
export function readSubmissionAnswer(modal: FakeModal, res: SlackHttpResult): SubmissionAnswer {
  if (res.status !== 200) throw new Error(`view_submission answered HTTP ${res.status}: Slack shows "We had some trouble connecting"`);
  if (res.body === '') {
    modal.closed = true;
    return { action: 'close' };
  }
  const body = res.json;
  if (!isObj(body)) throw new Error(`view_submission answered a body that is not JSON: ${res.body.slice(0, 200)}`);
  const action = body.response_action;
  if (action === 'clear' || action === undefined) {
    if (action === undefined && Object.keys(body).length > 0) throw new Error(`view_submission answered JSON without response_action: ${res.body.slice(0, 200)}`);
    modal.closed = true;
    return { action: 'close' };
  }
  if (action === 'errors') {
    const errors = body.errors;
    if (!isObj(errors) || Object.keys(errors).length === 0) throw new Error('response_action "errors" without an errors object');
    const inputs = new Set((modal.view.blocks as Obj[]).filter((b) => b.type === 'input').map((b) => String(b.block_id)));
    for (const [blockId, text] of Object.entries(errors)) {
      if (!inputs.has(blockId)) throw new Error(`response_action "errors" names "${blockId}", which is not an input block of the modal`);
      if (typeof text !== 'string' || text.trim() === '') throw new Error(`response_action "errors" gives "${blockId}" no sentence`);
    }
    return { action: 'errors', errors: errors as Record<string, string> };
  }
  if (action === 'update' || action === 'push') {
    const issues = validateModal(body.view);
    if (issues.length > 0) throw new Error(`response_action "${action}" with an invalid view: ${issues.map((i) => i.message).join('; ')}`);
    return { action, view: body.view as Obj };
  }
  throw new Error(`unknown response_action ${String(action)}`);
}

/**
 * The `block_actions` payload of a control on a person's Home tab: a button click, or a
 * static_select pick (`selected`: one of that select's option values).
 */
export function homeActionPayload(f: { userId: string; home: { id: string; view: Obj }; blockId: string; actionId: string; selected?: string; triggerId: string }): Obj {
  const block = (f.home.view.blocks as Obj[]).find((b) => b.block_id === f.blockId);
  const element = ((block?.elements as Obj[] | undefined) ?? []).find((e) => e.action_id === f.actionId);
  if (!element) throw new Error(`the Home tab has no ${f.actionId} in block ${f.blockId}`);
  if (validateBlocks([block], 'home').length > 0) throw new Error('the Home tab block is not valid');
  let action: Args;
  if (element.type === 'static_select') {
    const option = ((element.options as Obj[]) ?? []).find((o) => o.value === f.selected);
    if (!option) throw new Error(`"${String(f.selected)}" is not an option of ${f.actionId}`);
    action = { type: 'static_select', action_id: f.actionId, block_id: f.blockId, selected_option: option, ...(element.placeholder ? { placeholder: element.placeholder } : {}), action_ts: `${Date.now() / 1000}` };
  } else {
    action = { type: element.type, action_id: f.actionId, block_id: f.blockId, text: element.text, value: element.value, action_ts: `${Date.now() / 1000}` };
  }
  return {
    type: 'block_actions',
    user: { id: f.userId, username: 'person', name: 'person', team_id: FAKE_IDS.team },
    api_app_id: FAKE_IDS.app,
    token: 'legacy-verification-token',
    container: { type: 'view', view_id: f.home.id },
    trigger_id: f.triggerId,
    team: { id: FAKE_IDS.team, domain: 'fake-workspace' },
    enterprise: null,
    is_enterprise_install: false,
    view: { id: f.home.id, team_id: FAKE_IDS.team, type: 'home', ...f.home.view, state: { values: {} }, hash: 'home.hash', app_id: FAKE_IDS.app, bot_id: FAKE_IDS.bot },
    actions: [action],
  };
}
