import { ErrorCode, LogLevel, WebClient, type Logger, type WebAPIPlatformError } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderScheduleModal } from '../../src/blocks/schedule-modal.js';
import { FAKE_IDS, startFakeSlack, type FakeSlack } from './slack-server.js';
import { modalState, readSubmissionAnswer, viewSubmissionPayload } from './slack-views.js';

/*
 * views.open and view submissions on the fake, through the real @slack/web-api client: the
 * trigger_id rules, modal validation, and what Slack accepts as an answer to a submission.
 */

let fake: FakeSlack;
let client: WebClient;
const logger: Logger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };

beforeEach(async () => {
  fake = await startFakeSlack();
  client = new WebClient(fake.token, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logger });
});
afterEach(async () => {
  await fake.close();
});

async function slackError(p: Promise<unknown>): Promise<WebAPIPlatformError['data']> {
  const e = (await p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => err,
  )) as WebAPIPlatformError;
  expect(e.code).toBe(ErrorCode.PlatformError);
  return e.data;
}

const modal = renderScheduleModal({ repos: ['calc', 'web'], models: ['m1', 'm2'], personalities: ['pragmatic', 'friendly'], defaults: { model: 'm2' }, channel: FAKE_IDS.channel, timezone: 'UTC', minIntervalMinutes: 15, exampleCron: '0 9 * * 1-5', pullRequests: true });

describe('views.open', () => {
  it('opens a valid modal once per trigger_id, for the person who clicked', async () => {
    const trigger = fake.issueTrigger(FAKE_IDS.owner);
    const res = await client.views.open({ trigger_id: trigger, view: modal });
    expect(res.ok).toBe(true);
    expect(res.view?.id).toMatch(/^V/);
    expect(res.view?.callback_id).toBe('codex_schedule_modal');
    expect(fake.modals(FAKE_IDS.owner)).toHaveLength(1);
    expect((await slackError(client.views.open({ trigger_id: trigger, view: modal }))).error).toBe('exchanged_trigger_id');
  });

  it('refuses a missing, unknown or expired trigger_id', async () => {
    expect((await slackError(client.views.open({ view: modal } as never))).error).toBe('invalid_arguments');
    expect((await slackError(client.views.open({ trigger_id: '12345.98765.abcd2358fdea', view: modal }))).error).toBe('invalid_trigger_id');
    fake.setTriggerLifetime(-1);
    expect((await slackError(client.views.open({ trigger_id: fake.issueTrigger(FAKE_IDS.owner), view: modal }))).error).toBe('expired_trigger_id');
    expect(fake.modals(FAKE_IDS.owner)).toHaveLength(0);
  });

  it('validates the modal like Slack: title length, submit with inputs, elements, options, sizes', async () => {
    const bad = async (view: unknown) => (await slackError(client.views.open({ trigger_id: fake.issueTrigger(FAKE_IDS.owner), view: view as never }))).response_metadata?.messages?.join('\n') ?? '';
    expect(await bad({ ...modal, title: { type: 'plain_text', text: 'A title that is much too long' } })).toContain('/view/title/text');
    expect(await bad({ ...modal, submit: undefined })).toContain('submit is required');
    expect(await bad({ ...modal, type: 'home' })).toContain('/view/type');
    expect(await bad({ ...modal, private_metadata: 'x'.repeat(3001) })).toContain('/view/private_metadata');
    expect(await bad({ ...modal, callback_id: 'c'.repeat(256) })).toContain('/view/callback_id');
    expect(await bad({ ...modal, blocks: Array.from({ length: 101 }, () => ({ type: 'divider' })) })).toContain('at most 100');
    const blocks = structuredClone(modal.blocks) as unknown as Array<Record<string, unknown>>;
    (blocks[0]!.element as Record<string, unknown>).type = 'datepickerish';
    expect(await bad({ ...modal, blocks })).toContain('unsupported element type');
    const wrongInitial = structuredClone(modal.blocks) as unknown as Array<{ element: { initial_option?: unknown } }>;
    wrongInitial[2]!.element.initial_option = { text: { type: 'plain_text', text: 'nope' }, value: 'nope' };
    expect(await bad({ ...modal, blocks: wrongInitial })).toContain('must match one of the provided options');
    expect((await slackError(client.views.open({ trigger_id: fake.issueTrigger(FAKE_IDS.owner), view: { ...modal, private_metadata: 'x'.repeat(260_000) } }))).error).toBe('view_too_large');
  });
});

describe('view submissions', () => {
  async function opened() {
    await client.views.open({ trigger_id: fake.issueTrigger(FAKE_IDS.owner), view: modal });
    return fake.modals(FAKE_IDS.owner)[0]!;
  }
  const http = (body: string, status = 200) => ({ status, body, ...(body ? { json: JSON.parse(body) as unknown } : {}), headers: {}, elapsedMs: 1 });

  it('fills in only what a person could: options of the selects, required inputs given', async () => {
    const m = await opened();
    const values = modalState(m.view, { cron: '0 9 * * 1-5', prompt: 'triage', repo: 'web', channel: FAKE_IDS.channel, model: 'm1', pr: ['open_pr'] });
    expect(values.repo!.repo).toMatchObject({ type: 'static_select', selected_option: { value: 'web' } });
    expect(values.personality!.personality).toEqual({ type: 'static_select', selected_option: null });
    expect(values.pr!.pr!.selected_options).toHaveLength(1);
    expect(() => modalState(m.view, { cron: '0 9 * * 1-5', repo: 'web', channel: FAKE_IDS.channel })).toThrow('required input "prompt"');
    expect(() => modalState(m.view, { cron: '0 9 * * 1-5', prompt: 'p', repo: 'billing', channel: FAKE_IDS.channel })).toThrow('not an option');
    const payload = viewSubmissionPayload(m, values);
    expect(payload).toMatchObject({ type: 'view_submission', user: { id: FAKE_IDS.owner }, view: { id: m.id, callback_id: 'codex_schedule_modal' } });
  });

  it('accepts an empty answer or errors on input blocks; refuses anything else', async () => {
    const m = await opened();
    expect(readSubmissionAnswer(m, http(''))).toEqual({ action: 'close' });
    expect(readSubmissionAnswer(m, http(JSON.stringify({ response_action: 'errors', errors: { cron: 'Not a cron line.' } })))).toEqual({ action: 'errors', errors: { cron: 'Not a cron line.' } });
    expect(() => readSubmissionAnswer(m, http(JSON.stringify({ response_action: 'errors', errors: { nowhere: 'x' } })))).toThrow('not an input block');
    expect(() => readSubmissionAnswer(m, http(JSON.stringify({ response_action: 'errors', errors: { cron: ' ' } })))).toThrow('no sentence');
    expect(() => readSubmissionAnswer(m, http(JSON.stringify({ text: 'done' })))).toThrow('without response_action');
    expect(() => readSubmissionAnswer(m, http('', 500))).toThrow('HTTP 500');
    expect(() => readSubmissionAnswer(m, http(JSON.stringify({ response_action: 'update', view: { type: 'modal' } })))).toThrow('invalid view');
  });
});
