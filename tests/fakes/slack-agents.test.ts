import { ErrorCode, LogLevel, WebClient, type Logger, type WebAPIPlatformError } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_IDS, startFakeSlack, type FakeSlack } from './slack-server.js';

/* The fake's Slack Code channels and session renames, exercised only through the real @slack/web-api client. */

let fake: FakeSlack | undefined;
const logger: Logger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };

async function start(scopes?: string[]): Promise<{ fake: FakeSlack; client: WebClient }> {
  fake = await startFakeSlack(scopes ? { scopes } : {});
  return { fake, client: new WebClient(fake.token, { slackApiUrl: fake.apiUrl, logger, retryConfig: { retries: 0 } }) };
}
afterEach(async () => {
  await fake?.close();
  fake = undefined;
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

async function origin(client: WebClient): Promise<string> {
  return (await client.chat.postMessage({ channel: FAKE_IDS.channel, text: 'fix the login bug' })).ts!;
}

describe('fake Slack Code channels through the real WebClient', () => {
  it('creates one channel per session from an origin message, idempotently, and inviting its author', async () => {
    const { fake, client } = await start();
    const ts = await origin(client);
    const first = await client.agents.conversations.create({ origin_channel_id: FAKE_IDS.channel, origin_message_ts: ts, session_id: 'task-1', name: 'fix the login bug' });
    const again = await client.agents.conversations.create({ origin_channel_id: FAKE_IDS.channel, origin_message_ts: ts, session_id: 'task-1', name: 'fix the login bug' });
    expect(again.channel_id).toBe(first.channel_id);
    expect(fake.codeChannels()).toHaveLength(1);
    expect(fake.codeChannels()[0]).toMatchObject({ id: first.channel_id, origin: { channel: FAKE_IDS.channel, ts }, sessionId: 'task-1', members: [FAKE_IDS.botUser], archived: false });
    // Messages can be posted there like in any channel.
    await client.chat.postMessage({ channel: first.channel_id!, text: 'hello' });
    expect(fake.messages(first.channel_id!).map((m) => m.text)).toEqual(['hello']);
  });

  it('refuses a create without its required arguments or with an unknown origin', async () => {
    const { client } = await start();
    const ts = await origin(client);
    expect(await slackError(client.agents.conversations.create({ origin_channel_id: FAKE_IDS.channel, name: 'x' }))).toBe('invalid_arguments');
    expect(await slackError(client.apiCall('agents.conversations.create', { session_id: 's' }))).toBe('invalid_arguments');
    expect(await slackError(client.agents.conversations.create({ origin_channel_id: 'C0NOPE0001', origin_message_ts: ts, name: 'x' }))).toBe('channel_not_found');
    expect(await slackError(client.agents.conversations.create({ origin_channel_id: FAKE_IDS.channel, origin_message_ts: '1.000001', name: 'x' }))).toBe('message_not_found');
  });

  it('answers missing_scope to a token without code_channels:manage', async () => {
    const { client } = await start(['chat:write', 'assistant:write']);
    const ts = await origin(client);
    const e = (await client.agents.conversations.create({ origin_channel_id: FAKE_IDS.channel, origin_message_ts: ts, name: 'x' }).catch((err: unknown) => err)) as WebAPIPlatformError;
    expect(e.data).toMatchObject({ ok: false, error: 'missing_scope', needed: 'code_channels:manage' });
  });

  it('sets the context bar (at most five items, icons and types from the list) and the summary message', async () => {
    const { fake, client } = await start();
    const channel_id = (await client.agents.conversations.create({ origin_channel_id: FAKE_IDS.channel, origin_message_ts: await origin(client), name: 'x' })).channel_id!;
    await client.agents.conversations.setProperties({ channel_id, code_channel: { context_bar_items: [{ key: 'repo', label: 'calc', icon: 'folder' }, { key: 'pr', label: 'PR #3 · open', icon: 'link', url: 'https://github.com/o/r/pull/3' }] } });
    expect(fake.codeChannels()[0]!.contextBar).toEqual([
      { key: 'repo', label: 'calc', icon: 'folder', item_type: 'info' },
      { key: 'pr', label: 'PR #3 · open', icon: 'link', url: 'https://github.com/o/r/pull/3', item_type: 'info' },
    ]);
    const six = Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, label: `l${i}` }));
    expect(await slackError(client.agents.conversations.setProperties({ channel_id, code_channel: { context_bar_items: six } }))).toBe('invalid_arguments');
    expect(await slackError(client.agents.conversations.setProperties({ channel_id, code_channel: { context_bar_items: [{ key: 'a', label: 'b', icon: 'rocket' }] } }))).toBe('invalid_arguments');
    expect(await slackError(client.agents.conversations.setProperties({ channel_id, code_channel: { context_bar_items: [{ key: 'a', label: 'x'.repeat(129) }] } }))).toBe('invalid_arguments');
    expect(await slackError(client.agents.conversations.setProperties({ channel_id }))).toBe('invalid_arguments');
    const warned = await client.agents.conversations.setProperties({ channel_id, code_channel: { context_bar_items: [{ key: 'a', label: 'b', url: 'https://x.example', item_type: 'action' }] } });
    expect(warned.warning).toBe('action_with_url_overridden_to_info');
    const ts = (await client.chat.postMessage({ channel: channel_id, text: 'summary' })).ts!;
    await client.agents.conversations.setProperties({ channel_id, code_channel: { summary_message: { message_ts: ts } } });
    expect(fake.codeChannels()[0]!.summaryMessageTs).toBe(ts);
    // Not a code channel, or no channel at all.
    expect(await slackError(client.agents.conversations.setProperties({ channel_id: FAKE_IDS.channel, code_channel: { context_bar_items: [] } }))).toBe('not_a_code_channel');
    expect(await slackError(client.agents.conversations.setProperties({ channel_id: 'C0NOPE0001', code_channel: { context_bar_items: [] } }))).toBe('channel_not_found');
  });

  it('sets diff and pull request views (≤ 1 MB, each type with what it needs) and archives once', async () => {
    const { fake, client } = await start();
    const channel_id = (await client.agents.conversations.create({ origin_channel_id: FAKE_IDS.channel, origin_message_ts: await origin(client), name: 'x' })).channel_id!;
    await client.agents.conversations.setView({ channel_id, type: 'diff', content: 'diff --git a/x b/x\n', base_branch: 'main', head_branch: 'codex/x' });
    await client.agents.conversations.setView({ channel_id, type: 'diff', content: 'diff --git a/y b/y\n' });
    expect(fake.codeChannels()[0]!.views.get('diff')).toMatchObject({ type: 'diff', content: 'diff --git a/y b/y\n' });
    expect(await slackError(client.agents.conversations.setView({ channel_id, type: 'diff', content: 'x'.repeat(1_000_001) }))).toBe('content_too_large');
    expect(await slackError(client.agents.conversations.setView({ channel_id, type: 'diff' }))).toBe('invalid_arguments');
    expect(await slackError(client.agents.conversations.setView({ channel_id, type: 'pull_request' }))).toBe('invalid_arguments');
    expect(await slackError(client.agents.conversations.setView({ channel_id, type: 'slides', content: 'x' }))).toBe('invalid_arguments');
    expect(await slackError(client.agents.conversations.setView({ channel_id, type: 'html', content: '<p>x</p>' }))).toBe('invalid_arguments');
    await client.agents.conversations.setView({ channel_id, type: 'pull_request', pr_url: 'https://github.com/o/r/pull/3' });
    expect([...fake.codeChannels()[0]!.views.values()].map((v) => v.type)).toEqual(['diff', 'pull_request']);
    await client.agents.conversations.setCommands({ channel_id, commands: [{ name: 'stop', description: 'Stop the turn' }] });
    expect(await slackError(client.agents.conversations.setCommands({ channel_id, commands: Array.from({ length: 11 }, (_, i) => ({ name: `c${i}` })) }))).toBe('too_many_commands');
    await client.agents.conversations.archive({ channel_id });
    expect(await slackError(client.agents.conversations.archive({ channel_id }))).toBe('already_archived');
    expect(await slackError(client.chat.postMessage({ channel: channel_id, text: 'late' }))).toBe('is_archived');
    expect(await slackError(client.agents.conversations.setView({ channel_id, type: 'diff', content: 'x' }))).toBe('is_archived');
  });
});

describe('fake Slack agent sessions: status and rename, in threads and code channels', () => {
  it('renames a thread session (thread_ts required) and a code channel session (thread_ts omitted)', async () => {
    const { fake, client } = await start();
    const ts = await origin(client);
    expect(await slackError(client.agents.sessions.rename({ channel_id: FAKE_IDS.channel, thread_ts: ts, title: 'New' }))).toBe('session_not_found');
    await client.agents.sessions.setStatus({ channel_id: FAKE_IDS.channel, thread_ts: ts, status: 'processing', title: 'First' });
    await client.agents.sessions.rename({ channel_id: FAKE_IDS.channel, thread_ts: ts, title: 'Second' });
    expect(fake.session(FAKE_IDS.channel, ts)).toMatchObject({ title: 'Second', titles: ['First', 'Second'] });
    expect(await slackError(client.agents.sessions.rename({ channel_id: FAKE_IDS.channel, title: 'No thread' }))).toBe('invalid_arguments');
    expect(await slackError(client.agents.sessions.rename({ channel_id: FAKE_IDS.channel, thread_ts: ts, title: 'x'.repeat(201) }))).toBe('invalid_arguments');
    const channel_id = (await client.agents.conversations.create({ origin_channel_id: FAKE_IDS.channel, origin_message_ts: ts, name: 'x' })).channel_id!;
    await client.agents.sessions.setStatus({ channel_id, status: 'processing' });
    await client.agents.sessions.rename({ channel_id, title: 'Channel title' });
    expect(fake.codeChannels()[0]).toMatchObject({ status: 'processing', statusHistory: ['processing'], title: 'Channel title' });
    expect(await slackError(client.agents.sessions.setStatus({ channel_id, thread_ts: ts, status: 'active' }))).toBe('invalid_arguments');
  });
});
