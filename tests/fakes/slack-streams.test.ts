import { ErrorCode, LogLevel, WebClient, type Logger, type WebAPIPlatformError } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_IDS, startFakeSlack, type FakeSlack } from './slack-server.js';

/* The fake's streamed messages, exercised only through the real @slack/web-api client. */

let fake: FakeSlack;
let client: WebClient;
const logger: Logger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };
const recipient = { recipient_user_id: FAKE_IDS.owner, recipient_team_id: FAKE_IDS.team };

beforeEach(async () => {
  fake = await startFakeSlack();
  client = new WebClient(fake.token, { slackApiUrl: fake.apiUrl, logger, retryConfig: { retries: 0 } });
});
afterEach(async () => {
  await fake.close();
});

async function slackError(p: Promise<unknown>): Promise<string> {
  const e = (await p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => err,
  )) as WebAPIPlatformError;
  expect(e.code).toBe(ErrorCode.PlatformError);
  return e.data.error;
}

async function thread(): Promise<string> {
  return (await client.chat.postMessage({ channel: FAKE_IDS.channel, text: 'card' })).ts!;
}

describe('fake Slack streams through the real WebClient', () => {
  it('starts, appends and stops a stream in a thread: markdown, task updates and plan updates, in order', async () => {
    const threadTs = await thread();
    const started = await client.chat.startStream({ channel: FAKE_IDS.channel, thread_ts: threadTs, ...recipient, task_display_mode: 'timeline', markdown_text: 'Looking **around**.' });
    expect(started.ts).toMatch(/^\d{10}\.\d{6}$/);
    await client.chat.appendStream({ channel: FAKE_IDS.channel, ts: started.ts!, chunks: [{ type: 'plan_update', title: 'Fix the test' }, { type: 'task_update', id: 'c1', title: 'npm test', status: 'in_progress' }] });
    await client.chat.appendStream({ channel: FAKE_IDS.channel, ts: started.ts!, chunks: [{ type: 'task_update', id: 'c1', title: 'npm test', status: 'error', details: 'exit 1', output: 'FAIL' }] });
    await client.chat.stopStream({ channel: FAKE_IDS.channel, ts: started.ts!, markdown_text: ' Done.' });
    const [stream] = fake.streams(FAKE_IDS.channel, threadTs);
    expect(stream).toMatchObject({ stopped: true, expired: false, displayMode: 'timeline', recipient: { user: FAKE_IDS.owner, team: FAKE_IDS.team } });
    expect(stream!.chunks.map((c) => c.type)).toEqual(['markdown_text', 'plan_update', 'task_update', 'task_update', 'markdown_text']);
    expect(fake.thread(FAKE_IDS.channel, threadTs).at(-1)?.text).toBe('Looking **around**. Done.');
    // Stopped: nothing more goes in.
    expect(await slackError(client.chat.appendStream({ channel: FAKE_IDS.channel, ts: started.ts!, markdown_text: 'late' }))).toBe('message_not_in_streaming_state');
  });

  it('refuses what Slack refuses: no content, bad enums and chunk shapes, long fields, no recipient in a channel', async () => {
    const threadTs = await thread();
    const base = { channel: FAKE_IDS.channel, thread_ts: threadTs, ...recipient };
    expect(await slackError(client.chat.startStream({ ...base }))).toBe('invalid_arguments');
    expect(await slackError(client.chat.startStream({ channel: FAKE_IDS.channel, thread_ts: threadTs, markdown_text: 'hi' }))).toBe('missing_recipient_user_id');
    expect(await slackError(client.chat.startStream({ channel: FAKE_IDS.channel, thread_ts: threadTs, recipient_user_id: FAKE_IDS.owner, markdown_text: 'hi' }))).toBe('missing_recipient_team_id');
    expect(await slackError(client.chat.startStream({ ...base, task_display_mode: 'cards', markdown_text: 'hi' }))).toBe('invalid_arguments');
    expect(await slackError(client.chat.startStream({ ...base, markdown_text: 'x'.repeat(12_001) }))).toBe('msg_too_long');
    expect(await slackError(client.chat.startStream({ ...base, chunks: [{ type: 'task_update', id: 'a', title: 't', status: 'done' as 'complete' }] }))).toBe('invalid_arguments');
    expect(await slackError(client.chat.startStream({ ...base, chunks: [{ type: 'task_update', id: 'a', title: 't', status: 'complete', output: 'o'.repeat(257) }] }))).toBe('invalid_arguments');
    expect(await slackError(client.chat.startStream({ ...base, chunks: [{ type: 'task_update', title: 't', status: 'complete' } as never] }))).toBe('invalid_arguments');
    expect(await slackError(client.chat.startStream({ ...base, chunks: [{ type: 'plan_update' } as never] }))).toBe('invalid_arguments');
    expect(await slackError(client.chat.startStream({ ...base, chunks: [{ type: 'poem', text: 'x' } as never] }))).toBe('invalid_arguments');
    expect(await slackError(client.chat.startStream({ ...base, thread_ts: '1.000001', markdown_text: 'hi' }))).toBe('thread_not_found');
    expect(await slackError(client.chat.appendStream({ channel: FAKE_IDS.channel, ts: threadTs, markdown_text: 'hi' }))).toBe('message_not_found');
    expect(fake.streams(FAKE_IDS.channel, threadTs)).toEqual([]);
  });

  it('needs no recipient in a DM', async () => {
    fake.addChannel({ id: 'D0FAKEDM01', name: 'dm', isIm: true, user: FAKE_IDS.owner });
    const root = (await client.chat.postMessage({ channel: 'D0FAKEDM01', text: 'card' })).ts!;
    const started = await client.chat.startStream({ channel: 'D0FAKEDM01', thread_ts: root, markdown_text: 'hi' });
    expect(started.ok).toBe(true);
  });

  it('ends a stream after its lifetime: appends and stops then answer message_not_in_streaming_state', async () => {
    fake.setStreamLifetime(50);
    const threadTs = await thread();
    const { ts } = await client.chat.startStream({ channel: FAKE_IDS.channel, thread_ts: threadTs, ...recipient, markdown_text: 'a' });
    await new Promise((r) => setTimeout(r, 80));
    expect(await slackError(client.chat.appendStream({ channel: FAKE_IDS.channel, ts: ts!, markdown_text: 'b' }))).toBe('message_not_in_streaming_state');
    expect(await slackError(client.chat.stopStream({ channel: FAKE_IDS.channel, ts: ts! }))).toBe('message_not_in_streaming_state');
    expect(fake.streams(FAKE_IDS.channel, threadTs)[0]).toMatchObject({ expired: true, chunks: [{ type: 'markdown_text', text: 'a' }] });
  });

  it("ends a stream a person stopped with Slack's Stop: appends and stops then answer message_not_in_streaming_state", async () => {
    const threadTs = await thread();
    const { ts } = await client.chat.startStream({ channel: FAKE_IDS.channel, thread_ts: threadTs, ...recipient, markdown_text: 'a' });
    fake.stopStreamAsPerson(FAKE_IDS.channel, ts!);
    expect(await slackError(client.chat.appendStream({ channel: FAKE_IDS.channel, ts: ts!, markdown_text: 'b' }))).toBe('message_not_in_streaming_state');
    expect(await slackError(client.chat.stopStream({ channel: FAKE_IDS.channel, ts: ts! }))).toBe('message_not_in_streaming_state');
    expect(fake.streams(FAKE_IDS.channel, threadTs)[0]).toMatchObject({ stopped: true, stoppedByPerson: true, expired: false, chunks: [{ type: 'markdown_text', text: 'a' }] });
  });

  it('answers unknown_method in a workspace without streaming', async () => {
    fake.disableStreaming();
    const threadTs = await thread();
    expect(await slackError(client.chat.startStream({ channel: FAKE_IDS.channel, thread_ts: threadTs, ...recipient, markdown_text: 'a' }))).toBe('unknown_method');
  });
});
