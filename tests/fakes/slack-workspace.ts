import type { FakeCodeChannel } from './slack-agents.js';
import type { FakeStream } from './slack-streams.js';

/*
 * The state behind the fake Slack server: channels, users, messages per channel (with
 * threads), ephemeral messages, reactions, uploaded files and Home tabs. Method handlers
 * (slack-methods.ts) read and change it; tests read it through FakeSlack's helpers.
 */

export const FAKE_IDS = {
  team: 'T0FAKE0001',
  enterprise: undefined,
  app: 'A0FAKEAPP1',
  botUser: 'U0FAKEBOT1',
  bot: 'B0FAKEBOT1',
  /** A public channel the bot can post in. */
  channel: 'C0FAKEGEN1',
  /** A second public channel. */
  otherChannel: 'C0FAKEDEV2',
  /** A private channel the bot is a member of. */
  privateChannel: 'G0FAKEPRV1',
  /** The person who starts tasks in tests. */
  owner: 'U0OWNER001',
  /** Someone else in the workspace. */
  other: 'U0OTHER002',
  /** A configured approver. */
  approver: 'U0APPROV03',
} as const;

export interface FakeChannel {
  id: string;
  name: string;
  isPrivate?: boolean;
  isIm?: boolean;
  /** A user of an IM channel. */
  user?: string;
}

export interface FakeUser {
  id: string;
  name: string;
  realName?: string;
  isBot?: boolean;
  tz?: string;
}

export interface FakeFile {
  id: string;
  filename: string;
  /** Length declared to files.getUploadURLExternal. */
  length: number;
  title?: string;
  altText?: string;
  snippetType?: string;
  /** Bytes received at the upload URL; undefined until uploaded. */
  bytes?: Buffer;
  completed: boolean;
  channelId?: string;
  threadTs?: string;
  initialComment?: string;
  /** A file a person shared (addFile): its type, served at `url_private` with the bot token only. */
  mimetype?: string;
}

/** A file as Slack shows it on a message (`files`): a person's upload carries its type and private URL. */
export interface FakeFileObject {
  id: string;
  name: string;
  title?: string;
  mimetype?: string;
  filetype?: string;
  size?: number;
  url_private?: string;
}

export interface FakeReaction {
  name: string;
  users: string[];
  count: number;
}

/** A stored message, shaped like the objects Slack returns in `message` / `messages`. */
export interface FakeMessage {
  type: 'message';
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  user: string;
  bot_id?: string;
  app_id?: string;
  subtype?: string;
  edited?: { user: string; ts: string };
  reactions?: FakeReaction[];
  files?: FakeFileObject[];
  /** Every earlier version, oldest first, for tests on edits (not sent by the API). */
  history: Array<{ text: string; blocks?: unknown[] }>;
}

/** A thread's agent session (agents.sessions.setStatus / rename). */
export interface FakeSession {
  status: string;
  title?: string;
  history: string[];
  /** Every title: the one it was created with, then each rename. */
  titles: string[];
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  message_ts: string;
}

/** A modal a person has open (views.open). */
export interface FakeModal {
  id: string;
  user: string;
  view: Record<string, unknown>;
  hash: string;
  /** Closed by a submission that was answered with nothing or `clear`. */
  closed: boolean;
}

export class FakeWorkspace {
  readonly channels = new Map<string, FakeChannel>();
  readonly users = new Map<string, FakeUser>();
  readonly messages = new Map<string, FakeMessage[]>();
  readonly ephemerals: FakeEphemeral[] = [];
  readonly files = new Map<string, FakeFile>();
  readonly homeViews = new Map<string, { id: string; view: Record<string, unknown> }>();
  /** Agent sessions by `<channel>:<thread_ts>`: their status and title, every status and every title set, in order. */
  readonly sessions = new Map<string, FakeSession>();
  /** Slack Code channels by id (slack-agents.ts); each is in `channels` too. */
  readonly codeChannels = new Map<string, FakeCodeChannel>();
  /** trigger_ids handed out with interactions (slack-views.ts): whose, when, and whether exchanged. */
  readonly triggers = new Map<string, { user: string; issuedAt: number; exchanged: boolean }>();
  /** A trigger_id is good for this long (Slack: three seconds). */
  triggerLifetimeMs = 3_000;
  /** Modals opened with views.open, by view id. */
  readonly modals = new Map<string, FakeModal>();
  /** Whether the app subscribes to `agent_session_stopped` (setStatus warns when not). */
  subscribedToSessionStops = true;
  /** False: a workspace without agent sessions (agents.* answers `unknown_method`). */
  agentSessions = true;
  /** False: a workspace without streamed messages (chat.*Stream answers `unknown_method`). */
  streaming = true;
  /** How long a streamed message streams before Slack ends it (about five minutes). */
  streamLifetimeMs = 300_000;
  /** Streamed messages by `<channel>:<ts>` (slack-streams.ts). */
  readonly streams = new Map<string, FakeStream>();
  private readonly lastMicros = new Map<string, number>();
  private nextId = 1;

  constructor(channels: FakeChannel[], users: FakeUser[]) {
    for (const c of channels) this.channels.set(c.id, c);
    for (const u of users) this.users.set(u.id, u);
  }

  /** `1700000000.000123`: unique and increasing per channel, like Slack's. */
  newTs(channel: string): string {
    const now = Date.now() * 1000;
    const micros = Math.max(now, (this.lastMicros.get(channel) ?? 0) + 1);
    this.lastMicros.set(channel, micros);
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  newId(prefix: string): string {
    return `${prefix}0FAKE${String(this.nextId++).padStart(5, '0')}`;
  }

  channelMessages(channel: string): FakeMessage[] {
    let list = this.messages.get(channel);
    if (!list) {
      list = [];
      this.messages.set(channel, list);
    }
    return list;
  }

  findMessage(channel: string, ts: string): FakeMessage | undefined {
    return this.messages.get(channel)?.find((m) => m.ts === ts);
  }

  /** Parent first (when stored), then replies in ts order. */
  thread(channel: string, threadTs: string): FakeMessage[] {
    const list = this.messages.get(channel) ?? [];
    return list.filter((m) => m.ts === threadTs || m.thread_ts === threadTs).sort((a, b) => Number(a.ts) - Number(b.ts));
  }

  addMessage(message: Omit<FakeMessage, 'ts' | 'history' | 'type'> & { ts?: string }): FakeMessage {
    const ts = message.ts ?? this.newTs(message.channel);
    const stored: FakeMessage = { type: 'message', ...message, ts, history: [] };
    const list = this.channelMessages(message.channel);
    list.push(stored);
    list.sort((a, b) => Number(a.ts) - Number(b.ts));
    return stored;
  }
}

/** What a message looks like in API answers: no fake-only fields, replies counted on parents. */
export function apiMessage(m: FakeMessage, all: FakeMessage[], withMetadata: boolean): Record<string, unknown> {
  const { history: _history, channel: _channel, metadata, ...rest } = m;
  const replies = m.thread_ts === undefined ? all.filter((x) => x.thread_ts === m.ts && x.ts !== m.ts) : [];
  return {
    ...rest,
    ...(withMetadata && metadata ? { metadata } : {}),
    ...(replies.length > 0 ? { thread_ts: m.ts, reply_count: replies.length, latest_reply: replies[replies.length - 1]?.ts } : {}),
  };
}
