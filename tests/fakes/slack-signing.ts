import { createHmac, randomBytes } from 'node:crypto';
import { FAKE_IDS, type FakeMessage } from './slack-workspace.js';

/*
 * Sends requests to the app's `/slack/events` endpoint the way Slack does: slash commands and
 * interactions form-encoded, Events API payloads as JSON, each signed with
 * `X-Slack-Signature: v0=HMAC-SHA256(secret, "v0:<timestamp>:<raw body>")` and
 * `X-Slack-Request-Timestamp`. Options make the signature wrong or the timestamp stale, to test
 * that the app refuses them.
 */

/** `v0=<hex>`: Slack's request signature over the exact raw body. */
export function signSlackRequest(signingSecret: string, timestampSec: number, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${rawBody}`).digest('hex')}`;
}

export interface SendOptions {
  /** Sign with a wrong secret. */
  badSignature?: boolean;
  /** Timestamp this many seconds in the past (Slack apps refuse > 300 s). */
  ageSec?: number;
  /** Leave the signature headers out. */
  unsigned?: boolean;
  /** `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`, as on Slack's redeliveries. */
  retryNum?: number;
  retryReason?: string;
  /** Path on the base URL; `/slack/events` by default. */
  path?: string;
}

export interface SlackHttpResult {
  status: number;
  /** The response body as text. */
  body: string;
  /** The body parsed as JSON when it is JSON. */
  json?: unknown;
  headers: Record<string, string>;
  elapsedMs: number;
}

export interface SlashCommandFields {
  text: string;
  command?: string;
  user_id?: string;
  user_name?: string;
  channel_id?: string;
  channel_name?: string;
  team_id?: string;
  team_domain?: string;
  response_url?: string;
  trigger_id?: string;
  api_app_id?: string;
}

export interface BlockActionFields {
  actionId: string;
  value?: string;
  blockId?: string;
  userId?: string;
  userName?: string;
  /** The clicker's own workspace (another one in a shared channel); the fake's by default. */
  userTeamId?: string;
  channelId?: string;
  /** ts of the message holding the button. */
  messageTs: string;
  /** The thread the message is in, when it is a reply. */
  threadTs?: string;
  responseUrl?: string;
  /** The message as Slack includes it (text and blocks); optional. */
  message?: { text?: string; blocks?: unknown[] };
  /** The trigger_id Slack hands out with the click (a fake's `issueTrigger`); a made-up one otherwise. */
  triggerId?: string;
}

/** Talks to one app endpoint as Slack would. */
export class SlackSender {
  constructor(
    readonly baseUrl: string,
    readonly signingSecret: string,
    /** Where trigger_ids come from (the fake Slack's `issueTrigger`), so views.open can exchange them. */
    readonly triggers?: (userId: string) => string,
  ) {}

  /** POSTs a raw body, signed, and measures the round trip. */
  async send(rawBody: string, contentType: string, options: SendOptions = {}): Promise<SlackHttpResult> {
    const timestamp = Math.floor(Date.now() / 1000) - (options.ageSec ?? 0);
    const secret = options.badSignature ? `${this.signingSecret}-wrong` : this.signingSecret;
    const headers: Record<string, string> = { 'content-type': contentType };
    if (!options.unsigned) {
      headers['x-slack-request-timestamp'] = String(timestamp);
      headers['x-slack-signature'] = signSlackRequest(secret, timestamp, rawBody);
    }
    if (options.retryNum !== undefined) {
      headers['x-slack-retry-num'] = String(options.retryNum);
      headers['x-slack-retry-reason'] = options.retryReason ?? 'http_timeout';
    }
    const started = performance.now();
    const res = await fetch(`${this.baseUrl.replace(/\/$/, '')}${options.path ?? '/slack/events'}`, { method: 'POST', headers, body: rawBody });
    const body = await res.text();
    const elapsedMs = performance.now() - started;
    let json: unknown;
    try {
      json = body ? JSON.parse(body) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, body, ...(json !== undefined ? { json } : {}), headers: Object.fromEntries(res.headers), elapsedMs };
  }

  /** A slash command, form-encoded with every field Slack sends. */
  slashCommand(fields: SlashCommandFields, options?: SendOptions): Promise<SlackHttpResult> {
    const form = new URLSearchParams({
      token: 'legacy-verification-token',
      team_id: fields.team_id ?? FAKE_IDS.team,
      team_domain: fields.team_domain ?? 'fake-workspace',
      channel_id: fields.channel_id ?? FAKE_IDS.channel,
      channel_name: fields.channel_name ?? 'general',
      user_id: fields.user_id ?? FAKE_IDS.owner,
      user_name: fields.user_name ?? 'alice',
      command: fields.command ?? '/codex',
      text: fields.text,
      api_app_id: fields.api_app_id ?? FAKE_IDS.app,
      is_enterprise_install: 'false',
      response_url: fields.response_url ?? 'https://hooks.slack.com/commands/T0FAKE0001/1/unused',
      trigger_id: fields.trigger_id ?? this.triggers?.(fields.user_id ?? FAKE_IDS.owner) ?? newTriggerId(),
    });
    return this.send(form.toString(), 'application/x-www-form-urlencoded', options);
  }

  /**
   * An Events API delivery (`event_callback`) of `event`: a `message`, `app_mention`,
   * `app_home_opened`… Returns the HTTP result; `eventId` is generated unless given.
   */
  event(event: Record<string, unknown>, options: SendOptions & { eventId?: string; teamId?: string } = {}): Promise<SlackHttpResult> {
    const teamId = options.teamId ?? FAKE_IDS.team;
    const payload = {
      token: 'legacy-verification-token',
      team_id: teamId,
      api_app_id: FAKE_IDS.app,
      event: { event_ts: event.ts ?? nowTs(), ...event },
      type: 'event_callback',
      event_id: options.eventId ?? `Ev${randomBytes(6).toString('hex').toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ enterprise_id: null, team_id: teamId, user_id: FAKE_IDS.botUser, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
      event_context: `4-${randomBytes(8).toString('hex')}`,
    };
    return this.send(JSON.stringify(payload), 'application/json', options);
  }

  /** Slack's endpoint check when the request URL is saved. */
  urlVerification(challenge: string, options?: SendOptions): Promise<SlackHttpResult> {
    return this.send(JSON.stringify({ token: 'legacy-verification-token', challenge, type: 'url_verification' }), 'application/json', options);
  }

  /** Any interaction payload, form-encoded as `payload=<json>`. */
  interaction(payload: Record<string, unknown>, options?: SendOptions): Promise<SlackHttpResult> {
    return this.send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded', options);
  }

  /** A button click (`block_actions`) on a message in a channel. */
  blockAction(fields: BlockActionFields, options?: SendOptions): Promise<SlackHttpResult> {
    const triggerId = fields.triggerId ?? this.triggers?.(fields.userId ?? FAKE_IDS.owner);
    return this.interaction(blockActionsPayload({ ...fields, ...(triggerId ? { triggerId } : {}) }), options);
  }
}

/** The `block_actions` payload Slack sends when a button on a message is clicked. */
export function blockActionsPayload(f: BlockActionFields): Record<string, unknown> {
  const userId = f.userId ?? FAKE_IDS.owner;
  const channelId = f.channelId ?? FAKE_IDS.channel;
  return {
    type: 'block_actions',
    user: { id: userId, username: f.userName ?? 'alice', name: f.userName ?? 'alice', team_id: f.userTeamId ?? FAKE_IDS.team },
    api_app_id: FAKE_IDS.app,
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: f.messageTs, channel_id: channelId, is_ephemeral: false, ...(f.threadTs ? { thread_ts: f.threadTs } : {}) },
    trigger_id: f.triggerId ?? newTriggerId(),
    team: { id: FAKE_IDS.team, domain: 'fake-workspace' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channelId, name: 'general' },
    message: {
      type: 'message',
      user: FAKE_IDS.botUser,
      bot_id: FAKE_IDS.bot,
      ts: f.messageTs,
      ...(f.threadTs ? { thread_ts: f.threadTs } : {}),
      text: f.message?.text ?? '',
      blocks: f.message?.blocks ?? [],
    },
    state: { values: {} },
    response_url: f.responseUrl ?? 'https://hooks.slack.com/actions/T0FAKE0001/1/unused',
    actions: [
      {
        type: 'button',
        action_id: f.actionId,
        block_id: f.blockId ?? 'codex_task_controls',
        text: { type: 'plain_text', text: f.actionId, emoji: true },
        ...(f.value !== undefined ? { value: f.value } : {}),
        action_ts: nowTs(),
      },
    ],
  };
}

function channelType(channel: string): 'channel' | 'group' | 'im' {
  return channel.startsWith('D') ? 'im' : channel.startsWith('G') ? 'group' : 'channel';
}

/**
 * The `message` event Slack delivers for a message a person posted, e.g. one injected into the
 * fake: `sender.event(messageEvent(fake.injectMessage({ … thread_ts })))` is a thread reply
 * that both reaches the app and is served back by `conversations.replies`.
 */
export function messageEvent(m: Pick<FakeMessage, 'channel' | 'user' | 'text' | 'ts' | 'thread_ts'> & Partial<Pick<FakeMessage, 'files' | 'subtype'>>, options: { userTeam?: string } = {}): Record<string, unknown> {
  return {
    type: 'message',
    channel: m.channel,
    channel_type: channelType(m.channel),
    user: m.user,
    text: m.text,
    ts: m.ts,
    event_ts: m.ts,
    team: FAKE_IDS.team,
    // A person of another workspace in a shared channel: their own team differs from the channel's.
    ...(options.userTeam ? { user_team: options.userTeam } : {}),
    ...(m.thread_ts ? { thread_ts: m.thread_ts, parent_user_id: FAKE_IDS.botUser } : {}),
    ...(m.files?.length ? { subtype: m.subtype ?? 'file_share', files: m.files } : {}),
  };
}

/** The `app_mention` event for a message that mentions the bot (`<@U0FAKEBOT1> …`). */
export function appMentionEvent(m: Pick<FakeMessage, 'channel' | 'user' | 'text' | 'ts' | 'thread_ts'> & Partial<Pick<FakeMessage, 'files'>>): Record<string, unknown> {
  return {
    type: 'app_mention',
    channel: m.channel,
    user: m.user,
    text: m.text,
    ts: m.ts,
    event_ts: m.ts,
    team: FAKE_IDS.team,
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    ...(m.files?.length ? { files: m.files } : {}),
  };
}

function nowTs(): string {
  const micros = Date.now() * 1000 + Math.floor(Math.random() * 1000);
  return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
}

function newTriggerId(): string {
  return `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;
}
