import { ErrorCode, LogLevel, WebClient, type Logger, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderStatusCard } from '../../src/blocks/status-card.js';
import { FAKE_IDS, startFakeSlack, type FakeSlack } from './slack-server.js';
import { messageEvent } from './slack-signing.js';

/*
 * The fake Slack, exercised only through the real @slack/web-api client: if these pass, the
 * fake speaks the wire protocol the client speaks.
 */

let fake: FakeSlack;
let client: WebClient;

/** The client logs every platform error; these tests provoke them on purpose. */
const logger: Logger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };

/** Retries only on 429 and without the client's own backoff, so tests stay fast. */
const fastRetries = { retries: 3, factor: 1, minTimeout: 0, maxTimeout: 0, randomize: false };

beforeEach(async () => {
  fake = await startFakeSlack();
  client = new WebClient(fake.token, { slackApiUrl: fake.apiUrl, retryConfig: fastRetries, logger });
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

const card = renderStatusCard({ taskId: 'abcd1234', owner: FAKE_IDS.owner, prompt: 'fix the flaky test', repo: 'billing', status: 'working' });

describe('fake Slack through the real WebClient', () => {
  it('names the granted scopes in x-oauth-scopes (response_metadata.scopes), and refuses a wrong token with invalid_auth', async () => {
    const auth = await client.auth.test();
    expect(auth.response_metadata?.scopes).toEqual(fake.scopes);
    expect(fake.scopes).toContain('chat:write');
    const narrow = await startFakeSlack({ scopes: ['chat:write'] });
    try {
      const other = await new WebClient(narrow.token, { slackApiUrl: narrow.apiUrl, logger }).auth.test();
      expect(other.response_metadata?.scopes).toEqual(['chat:write']);
      expect((await slackError(new WebClient('xoxb-wrong', { slackApiUrl: narrow.apiUrl, logger }).auth.test())).error).toBe('invalid_auth');
    } finally {
      await narrow.close();
    }
  });

  it('answers auth.test and chat.postMessage, recording parsed arguments', async () => {
    const auth = await client.auth.test();
    expect(auth).toMatchObject({ ok: true, user_id: FAKE_IDS.botUser, team_id: FAKE_IDS.team, bot_id: FAKE_IDS.bot });

    const posted = await client.chat.postMessage({
      channel: FAKE_IDS.channel,
      ...card,
      metadata: { event_type: 'codex_task_status', event_payload: { task_id: 'abcd1234' } },
    });
    expect(posted.ok).toBe(true);
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);

    const call = fake.callsTo('chat.postMessage')[0]!;
    expect(call.contentType).toBe('application/x-www-form-urlencoded');
    expect(call.args).not.toHaveProperty('token'); // it came in the Authorization header
    expect(call.args.blocks).toEqual(card.blocks); // JSON text in the form, decoded
    expect(call.args.metadata).toEqual({ event_type: 'codex_task_status', event_payload: { task_id: 'abcd1234' } });
    expect(fake.messages(FAKE_IDS.channel)).toHaveLength(1);
    expect(fake.message(FAKE_IDS.channel, posted.ts!)?.user).toBe(FAKE_IDS.botUser);
  });

  it('generates increasing ts per channel', async () => {
    const a = await client.chat.postMessage({ channel: FAKE_IDS.channel, text: 'a' });
    const b = await client.chat.postMessage({ channel: FAKE_IDS.channel, text: 'b' });
    expect(Number(b.ts)).toBeGreaterThan(Number(a.ts));
  });

  it('serves a shared file at url_private only with the bot token and files:read, and puts files on message events', async () => {
    const file = fake.addFile({ name: 'bug.png', mimetype: 'image/png', bytes: Buffer.from('png-bytes') });
    const ok = await fetch(file.url_private!, { headers: { authorization: `Bearer ${fake.token}` } });
    expect([ok.status, ok.headers.get('content-type'), Buffer.from(await ok.arrayBuffer()).toString()]).toEqual([200, 'image/png', 'png-bytes']);
    expect((await fetch(file.url_private!)).status).toBe(403);
    expect((await fetch(file.url_private!, { headers: { authorization: 'Bearer xoxb-wrong' } })).status).toBe(403);
    const m = fake.injectMessage({ channel: FAKE_IDS.channel, user: FAKE_IDS.owner, text: 'see', files: [file] });
    expect(messageEvent(m)).toMatchObject({ subtype: 'file_share', files: [{ id: file.id, name: 'bug.png', mimetype: 'image/png', url_private: file.url_private }] });
    const scopeless = await startFakeSlack({ scopes: ['chat:write'] });
    const other = scopeless.addFile({ name: 'a.png', mimetype: 'image/png', bytes: Buffer.from('x') });
    expect((await fetch(other.url_private!, { headers: { authorization: `Bearer ${scopeless.token}` } })).status).toBe(403);
    await scopeless.close();
  });

  it('refuses a missing or wrong token', async () => {
    const noToken = new WebClient(undefined, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logger });
    expect((await slackError(noToken.auth.test())).error).toBe('not_authed');
    const wrong = new WebClient('xoxb-not-the-token', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logger });
    expect((await slackError(wrong.chat.postMessage({ channel: FAKE_IDS.channel, text: 'hi' }))).error).toBe('invalid_auth');
    expect(fake.messages(FAKE_IDS.channel)).toHaveLength(0);
  });

  it('checks required arguments', async () => {
    expect((await slackError(client.chat.postMessage({ channel: 'C0NOPE', text: 'hi' }))).error).toBe('channel_not_found');
    expect((await slackError(client.chat.postMessage({ channel: FAKE_IDS.channel } as never))).error).toBe('no_text');
    expect((await slackError(client.chat.postMessage({ channel: FAKE_IDS.channel, text: 'x'.repeat(40_001) }))).error).toBe('msg_too_long');
    expect((await slackError(client.files.getUploadURLExternal({ filename: 'a.txt' } as never))).error).toBe('invalid_arguments');
    expect((await slackError(client.apiCall('chat.nope', {}))).error).toBe('unknown_method');
  });

  it('answers invalid_blocks with the reason and its json pointer', async () => {
    const data = await slackError(
      client.chat.postMessage({
        channel: FAKE_IDS.channel,
        text: 'fallback',
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } },
          { type: 'header', text: { type: 'mrkdwn', text: 'headers are plain text' } } as never,
          { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'y'.repeat(76) }, action_id: 'a', value: 'v' }] },
        ],
      }),
    );
    expect(data.error).toBe('invalid_blocks');
    expect(data.response_metadata?.messages).toEqual([
      '[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
      '[ERROR] must be plain_text [json-pointer:/blocks/1/text/type]',
      '[ERROR] must be less than 76 characters [json-pointer:/blocks/2/elements/0/text/text]',
    ]);
  });

  it('refuses more than 50 blocks, unknown fields and too much text in total', async () => {
    const many = Array.from({ length: 51 }, () => ({ type: 'divider' as const }));
    expect((await slackError(client.chat.postMessage({ channel: FAKE_IDS.channel, text: 't', blocks: many }))).error).toBe('invalid_blocks');
    const extra = [{ type: 'divider', color: 'red' }] as never;
    expect((await slackError(client.chat.postMessage({ channel: FAKE_IDS.channel, text: 't', blocks: extra }))).error).toBe('invalid_blocks');
    const long = Array.from({ length: 5 }, () => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text: 'z'.repeat(2900) } }));
    expect((await slackError(client.chat.postMessage({ channel: FAKE_IDS.channel, text: 't', blocks: long }))).error).toBe('msg_blocks_too_long');
  });

  it('checks the metadata shape', async () => {
    const bad = { event_type: 'codex_task_status' } as never;
    expect((await slackError(client.chat.postMessage({ channel: FAKE_IDS.channel, text: 't', metadata: bad }))).error).toBe('invalid_metadata_format');
  });

  it('updates a message it posted and refuses an unknown ts', async () => {
    const posted = await client.chat.postMessage({ channel: FAKE_IDS.channel, text: 'v1' });
    await client.chat.update({ channel: FAKE_IDS.channel, ts: posted.ts!, text: 'v2', blocks: card.blocks });
    const stored = fake.message(FAKE_IDS.channel, posted.ts!)!;
    expect(stored.text).toBe('v2');
    expect(stored.blocks).toEqual(card.blocks);
    expect(stored.history).toEqual([{ text: 'v1' }]);
    expect((await slackError(client.chat.update({ channel: FAKE_IDS.channel, ts: '1.000001', text: 'x' }))).error).toBe('message_not_found');
    const human = fake.injectMessage({ channel: FAKE_IDS.channel, user: FAKE_IDS.owner, text: 'mine' });
    expect((await slackError(client.chat.update({ channel: FAKE_IDS.channel, ts: human.ts, text: 'x' }))).error).toBe('cant_update_message');
  });

  it('adds and removes reactions like Slack', async () => {
    const { ts } = await client.chat.postMessage({ channel: FAKE_IDS.channel, text: 'hi' });
    await client.reactions.add({ channel: FAKE_IDS.channel, timestamp: ts!, name: 'eyes' });
    expect((await slackError(client.reactions.add({ channel: FAKE_IDS.channel, timestamp: ts!, name: 'eyes' }))).error).toBe('already_reacted');
    expect(fake.message(FAKE_IDS.channel, ts!)?.reactions).toEqual([{ name: 'eyes', users: [FAKE_IDS.botUser], count: 1 }]);
    await client.reactions.remove({ channel: FAKE_IDS.channel, timestamp: ts!, name: 'eyes' });
    expect((await slackError(client.reactions.remove({ channel: FAKE_IDS.channel, timestamp: ts!, name: 'eyes' }))).error).toBe('no_reaction');
    expect((await slackError(client.reactions.add({ channel: FAKE_IDS.channel, timestamp: ts!, name: ':eyes:' }))).error).toBe('invalid_name');
  });

  it('serves threads from posted and injected messages; metadata only when asked', async () => {
    const root = fake.injectMessage({ channel: FAKE_IDS.channel, user: FAKE_IDS.owner, text: '<@U0FAKEBOT1> fix it' });
    await client.chat.postMessage({
      channel: FAKE_IDS.channel,
      thread_ts: root.ts,
      text: 'on it',
      metadata: { event_type: 'codex_task_status', event_payload: { task_id: 'abcd1234' } },
    });
    fake.injectMessage({ channel: FAKE_IDS.channel, user: FAKE_IDS.owner, text: 'use UTC', thread_ts: root.ts });

    const plain = await client.conversations.replies({ channel: FAKE_IDS.channel, ts: root.ts });
    expect(plain.messages?.map((m) => m.text)).toEqual(['<@U0FAKEBOT1> fix it', 'on it', 'use UTC']);
    expect(plain.messages?.[0]).toMatchObject({ thread_ts: root.ts, reply_count: 2 });
    expect(plain.messages?.[1]).not.toHaveProperty('metadata');
    const withMeta = await client.conversations.replies({ channel: FAKE_IDS.channel, ts: root.ts, include_all_metadata: true });
    expect(withMeta.messages?.[1]?.metadata).toEqual({ event_type: 'codex_task_status', event_payload: { task_id: 'abcd1234' } });
    expect((await slackError(client.conversations.replies({ channel: FAKE_IDS.channel, ts: '1.000001' }))).error).toBe('thread_not_found');
    expect(fake.thread(FAKE_IDS.channel, root.ts)).toHaveLength(3);
    expect(fake.messages(FAKE_IDS.channel)).toHaveLength(1);
  });

  it('posts ephemeral messages, permalinks, user info and the Home tab', async () => {
    const eph = await client.chat.postEphemeral({ channel: FAKE_IDS.channel, user: FAKE_IDS.other, text: 'only you' });
    expect(eph.message_ts).toBeDefined();
    expect(fake.ephemerals).toMatchObject([{ channel: FAKE_IDS.channel, user: FAKE_IDS.other, text: 'only you' }]);
    expect((await slackError(client.chat.postEphemeral({ channel: FAKE_IDS.channel, user: 'U0NOBODY', text: 'x' }))).error).toBe('user_not_in_channel');

    const { ts } = await client.chat.postMessage({ channel: FAKE_IDS.channel, text: 'link me' });
    const link = await client.chat.getPermalink({ channel: FAKE_IDS.channel, message_ts: ts! });
    expect(link.permalink).toBe(`${fake.url}/archives/${FAKE_IDS.channel}/p${ts!.replace('.', '')}`);

    const user = await client.users.info({ user: FAKE_IDS.owner });
    expect(user.user).toMatchObject({ id: FAKE_IDS.owner, name: 'alice', is_bot: false });
    expect((await slackError(client.users.info({ user: 'U0NOBODY' }))).error).toBe('user_not_found');

    await client.views.publish({ user_id: FAKE_IDS.owner, view: { type: 'home', blocks: card.blocks } });
    expect(fake.homeView(FAKE_IDS.owner)?.blocks).toEqual(card.blocks);
    const tooMany = Array.from({ length: 101 }, () => ({ type: 'divider' as const }));
    expect((await slackError(client.views.publish({ user_id: FAKE_IDS.owner, view: { type: 'home', blocks: tooMany } }))).error).toBe('invalid_arguments');
  });

  it('answers 429 with Retry-After; the WebClient waits and retries on its own', async () => {
    const { ts } = await client.chat.postMessage({ channel: FAKE_IDS.channel, text: 'v1' });
    fake.rateLimit('chat.update', { retryAfterSec: 1, count: 2 });
    const started = Date.now();
    const result = await client.chat.update({ channel: FAKE_IDS.channel, ts: ts!, text: 'v2' });
    expect(result.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(fake.callsTo('chat.update').map((c) => c.status)).toEqual([429, 429, 200]);
    expect(fake.message(FAKE_IDS.channel, ts!)?.text).toBe('v2');
  });

  it('lets a client that rejects rate-limited calls see retryAfter', async () => {
    const strict = new WebClient(fake.token, { slackApiUrl: fake.apiUrl, rejectRateLimitedCalls: true, logger });
    fake.rateLimit('chat.postMessage', { retryAfterSec: 7, forMs: 60_000 });
    const e = (await strict.chat.postMessage({ channel: FAKE_IDS.channel, text: 'x' }).catch((err: unknown) => err)) as WebAPIRateLimitedError;
    expect(e.code).toBe(ErrorCode.RateLimitedError);
    expect(e.retryAfter).toBe(7);
    // A window keeps limiting until it ends; other methods are not affected.
    await expect(strict.chat.postMessage({ channel: FAKE_IDS.channel, text: 'x' })).rejects.toMatchObject({ retryAfter: 7 });
    await expect(strict.auth.test()).resolves.toMatchObject({ ok: true });
  });

  it('fails the next calls on demand', async () => {
    fake.failNext('chat.postMessage', 'internal_error');
    expect((await slackError(client.chat.postMessage({ channel: FAKE_IDS.channel, text: 'x' }))).error).toBe('internal_error');
    await expect(client.chat.postMessage({ channel: FAKE_IDS.channel, text: 'x' })).resolves.toMatchObject({ ok: true });
  });

  it('runs files.uploadV2 end to end into a thread', async () => {
    const { ts } = await client.chat.postMessage({ channel: FAKE_IDS.channel, text: 'task' });
    const diff = 'diff --git a/x b/x\n+hello\n';
    const result = await client.files.uploadV2({ channel_id: FAKE_IDS.channel, thread_ts: ts!, filename: 'task.diff', title: 'The diff', content: diff });
    expect(result.ok).toBe(true);
    expect(fake.calls.map((c) => c.method)).toEqual(['chat.postMessage', 'files.getUploadURLExternal', 'files.completeUploadExternal']);
    const [file] = fake.files;
    expect(file).toMatchObject({ filename: 'task.diff', length: Buffer.byteLength(diff), completed: true, title: 'The diff', channelId: FAKE_IDS.channel, threadTs: ts });
    expect(file?.bytes?.toString('utf8')).toBe(diff);
    expect(fake.thread(FAKE_IDS.channel, ts!).at(-1)).toMatchObject({ subtype: 'file_share', files: [{ id: file?.id, name: 'task.diff' }] });
  });

  it('refuses to complete an upload whose bytes never arrived', async () => {
    const { file_id } = await client.files.getUploadURLExternal({ filename: 'a.txt', length: 3 });
    const data = await slackError(client.files.completeUploadExternal({ files: [{ id: file_id! }], channel_id: FAKE_IDS.channel }));
    expect(data.error).toBe('file_not_found');
  });

  it('takes JSON bodies with the token in the header only', async () => {
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(`${fake.apiUrl}chat.postMessage`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) }).then((r) => r.json());
    expect(await post({ authorization: `Bearer ${fake.token}` }, { channel: FAKE_IDS.channel, text: 'json' })).toMatchObject({ ok: true });
    expect(await post({}, { token: fake.token, channel: FAKE_IDS.channel, text: 'json' })).toMatchObject({ ok: false, error: 'not_authed' });
  });

  it('records what is posted to a response_url', async () => {
    const url = fake.responseUrl('cmd1');
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', text: 'hi' }) });
    expect(fake.responses('cmd1')).toMatchObject([{ id: 'cmd1', body: { response_type: 'ephemeral', text: 'hi' } }]);
  });

  it('waits for a condition, and says what happened when it times out', async () => {
    setTimeout(() => void client.chat.postMessage({ channel: FAKE_IDS.channel, text: 'later' }), 30);
    const message = await fake.waitFor(() => fake.messages(FAKE_IDS.channel).find((m) => m.text === 'later'), 2000);
    expect(message.text).toBe('later');
    await expect(fake.waitFor(() => false, 50)).rejects.toThrow(/timed out after 50ms; last calls:\n {2}chat.postMessage → 200 ok/);
  });
});
