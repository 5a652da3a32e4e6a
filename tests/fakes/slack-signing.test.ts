import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel, type Logger } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_IDS, startFakeSlack, type FakeSlack } from './slack-server.js';
import { appMentionEvent, messageEvent, SlackSender, signSlackRequest } from './slack-signing.js';

/*
 * The signed-request helper against a real Bolt app (HTTP receiver, signature verification
 * on) whose Web API calls go to the fake Slack: what Bolt accepts, the helper sends right.
 */

const SECRET = 'test-signing-secret-0123456789';
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };

let fake: FakeSlack;
let app: App;
let sender: SlackSender;

beforeAll(async () => {
  fake = await startFakeSlack();
  app = new App({ token: fake.token, signingSecret: SECRET, clientOptions: { slackApiUrl: fake.apiUrl }, logger: quiet });
  app.command('/codex', async ({ command, ack, respond }) => {
    if (command.text === 'help') return ack({ response_type: 'ephemeral', text: `usage for ${command.user_id}` });
    await ack();
    await respond({ response_type: 'ephemeral', text: `later: ${command.text}` });
  });
  app.action('codex_stop', async ({ ack, body, client, action }) => {
    await ack();
    const b = body as { channel?: { id: string }; message?: { ts: string } };
    await client.chat.postMessage({ channel: b.channel!.id, thread_ts: b.message!.ts, text: `stop ${(action as { value?: string }).value}` });
  });
  app.event('app_mention', async ({ event, client }) => {
    await client.chat.postMessage({ channel: event.channel, thread_ts: event.ts, text: 'on it' });
  });
  app.message(async ({ message, client }) => {
    const m = message as { channel: string; thread_ts?: string; text?: string };
    if (!m.thread_ts) return;
    const thread = await client.conversations.replies({ channel: m.channel, ts: m.thread_ts });
    await client.chat.postMessage({ channel: m.channel, thread_ts: m.thread_ts, text: `seen ${thread.messages?.length} messages` });
  });
  const server = (await app.start(0)) as Server;
  sender = new SlackSender(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, SECRET);
});

afterAll(async () => {
  await app.stop();
  await fake.close();
});

describe('signed requests to a Bolt app', () => {
  it('signs as Slack documents: v0=HMAC-SHA256 of v0:<ts>:<body>', () => {
    // Slack's documented example (docs: verifying requests from Slack).
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, body)).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
  });

  it('acks a slash command with an ephemeral reply in the HTTP response', async () => {
    const res = await sender.slashCommand({ text: 'help', user_id: FAKE_IDS.owner });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ response_type: 'ephemeral', text: `usage for ${FAKE_IDS.owner}` });
    expect(res.elapsedMs).toBeLessThan(3000);
  });

  it('lets respond() post to a response_url hosted by the fake', async () => {
    const res = await sender.slashCommand({ text: 'task fix it', response_url: fake.responseUrl('slash1') });
    expect(res.status).toBe(200);
    const [posted] = await fake.waitFor(() => (fake.responses('slash1').length > 0 ? fake.responses('slash1') : undefined));
    expect(posted?.body).toMatchObject({ response_type: 'ephemeral', text: 'later: task fix it' });
  });

  it('delivers events and button clicks', async () => {
    const root = fake.injectMessage({ channel: FAKE_IDS.channel, user: FAKE_IDS.owner, text: `<@${FAKE_IDS.botUser}> fix it` });
    const ev = await sender.event(appMentionEvent(root));
    expect(ev.status).toBe(200);
    await fake.waitFor(() => fake.thread(FAKE_IDS.channel, root.ts).find((m) => m.text === 'on it'));

    const click = await sender.blockAction({ actionId: 'codex_stop', value: '{"t":"abcd1234"}', messageTs: root.ts });
    expect(click.status).toBe(200);
    await fake.waitFor(() => fake.thread(FAKE_IDS.channel, root.ts).find((m) => m.text === 'stop {"t":"abcd1234"}'));
  });

  it('delivers a thread reply that conversations.replies then serves', async () => {
    const root = fake.injectMessage({ channel: FAKE_IDS.channel, user: FAKE_IDS.owner, text: 'root' });
    const reply = fake.injectMessage({ channel: FAKE_IDS.channel, user: FAKE_IDS.owner, text: 'use UTC please', thread_ts: root.ts });
    expect((await sender.event(messageEvent(reply))).status).toBe(200);
    await fake.waitFor(() => fake.thread(FAKE_IDS.channel, root.ts).find((m) => m.text === 'seen 2 messages'));
  });

  it('answers the URL verification challenge', async () => {
    const res = await sender.urlVerification('challenge-123');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ challenge: 'challenge-123' });
  });

  it('is refused with a bad signature, a stale timestamp or none', async () => {
    const calls = fake.calls.length;
    expect((await sender.slashCommand({ text: 'help' }, { badSignature: true })).status).toBe(401);
    expect((await sender.slashCommand({ text: 'help' }, { ageSec: 6 * 60 })).status).toBe(401);
    expect((await sender.event({ type: 'app_mention', text: 'x', channel: FAKE_IDS.channel, ts: '1.000001' }, { unsigned: true })).status).toBe(401);
    expect(fake.calls.length).toBe(calls);
  });
});
