import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JSON_ARGS, METHODS, SlackApiError, type Args, type Handler } from './slack-methods.js';
import { AGENT_METHODS, METHOD_SCOPES, type FakeCodeChannel } from './slack-agents.js';
import { STREAM_METHODS, type FakeStream } from './slack-streams.js';
import { issueTrigger, VIEW_METHODS } from './slack-views.js';
import {
  FAKE_IDS,
  FakeWorkspace,
  type FakeChannel,
  type FakeEphemeral,
  type FakeFile,
  type FakeFileObject,
  type FakeMessage,
  type FakeModal,
  type FakeSession,
  type FakeUser,
} from './slack-workspace.js';

import { TierLimiter } from './slack-tiers.js';

const ALL_METHODS: Record<string, Handler> = { ...METHODS, ...STREAM_METHODS, ...AGENT_METHODS, ...VIEW_METHODS };

export { FAKE_IDS, type FakeCodeChannel, type FakeModal, type FakeSession, type FakeStream, type FakeChannel, type FakeEphemeral, type FakeFile, type FakeFileObject, type FakeMessage, type FakeUser };

/*
 * A fake Slack Web API on a local port, reached through the real `@slack/web-api` client:
 *   new WebClient(fake.token, { slackApiUrl: fake.apiUrl })
 * The client POSTs every method to `<slackApiUrl><method>` as
 * application/x-www-form-urlencoded, objects (blocks, metadata, view, files) as JSON text
 * inside the form, the token in `Authorization: Bearer`; a Buffer argument makes it
 * multipart. The fake accepts those, JSON bodies and GET queries, answers like Slack (HTTP 200
 * with `ok: false` and a documented error code; 429 with Retry-After when told to) and records
 * every call for assertions.
 */

/** One call to a Web API method as the fake saw and answered it. */
export interface RecordedCall {
  method: string;
  /** Parsed arguments, JSON-valued ones decoded, the token removed. */
  args: Args;
  /** `Date.now()` when the request arrived. */
  at: number;
  status: number;
  response: Record<string, unknown>;
  contentType: string;
}

/** Something posted to a `response_url` the fake hosts (Bolt's `respond()` posts there). */
export interface RecordedResponse {
  id: string;
  body: unknown;
  at: number;
}

export interface FakeSlackOptions {
  /** The bot token the fake accepts; others get `invalid_auth`. */
  token?: string;
  /** Replaces the default channels (FAKE_IDS.channel, otherChannel, privateChannel). */
  channels?: FakeChannel[];
  /** Replaces the default users (owner, other, approver, the bot). */
  users?: FakeUser[];
  /**
   * The scopes granted to the token, sent like Slack in the `x-oauth-scopes` header of every
   * answer to it. Default: the bot scopes of the project's manifest.json (an app installed from it).
   */
  scopes?: string[];
  /** Listen on this port (default: a free one). */
  port?: number;
  /**
   * Enforce Slack's published per-method rate limits (slack-tiers.ts): a call over its tier's
   * floor, or a chat.postMessage faster than one per second per channel beyond a short burst,
   * is answered 429 with Retry-After, as Slack would.
   */
  publishedLimits?: boolean;
}

function manifestScopes(): string[] {
  const manifest = JSON.parse(readFileSync(new URL('../../manifest.json', import.meta.url), 'utf8')) as { oauth_config: { scopes: { bot: string[] } } };
  return manifest.oauth_config.scopes.bot;
}

interface RateLimitRule {
  method: string;
  retryAfterSec: number;
  remaining?: number;
  until?: number;
}

const DEFAULT_CHANNELS: FakeChannel[] = [
  { id: FAKE_IDS.channel, name: 'general' },
  { id: FAKE_IDS.otherChannel, name: 'dev' },
  { id: FAKE_IDS.privateChannel, name: 'secret-project', isPrivate: true },
];
const DEFAULT_USERS: FakeUser[] = [
  { id: FAKE_IDS.owner, name: 'alice', realName: 'Alice Owner' },
  { id: FAKE_IDS.other, name: 'bob', realName: 'Bob Other' },
  { id: FAKE_IDS.approver, name: 'carol', realName: 'Carol Approver' },
  { id: FAKE_IDS.botUser, name: 'codex', realName: 'Codex', isBot: true },
];

export class FakeSlack {
  readonly token: string;
  readonly scopes: string[];
  readonly ws: FakeWorkspace;
  readonly calls: RecordedCall[] = [];
  readonly responsesReceived: RecordedResponse[] = [];
  private readonly server: Server;
  private baseUrl = '';
  private rateLimits: RateLimitRule[] = [];
  private readonly failures = new Map<string, string[]>();
  private outages: Array<{ method: string; status: number; until: number; afterHandling: boolean }> = [];
  private readonly latency = new Map<string, number>();
  private nextResponseId = 1;
  private readonly port: number;
  private readonly tiers?: TierLimiter;

  constructor(options: FakeSlackOptions = {}) {
    if (options.publishedLimits) this.tiers = new TierLimiter();
    this.token = options.token ?? 'xoxb-fake-0000-bot-token';
    this.scopes = options.scopes ?? manifestScopes();
    this.port = options.port ?? 0;
    this.ws = new FakeWorkspace(options.channels ?? DEFAULT_CHANNELS, options.users ?? DEFAULT_USERS);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(e));
      });
    });
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return this.baseUrl;
  }

  /** What to pass as `slackApiUrl` (Bolt: `clientOptions.slackApiUrl`). */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', resolve);
    });
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- scripting ---------------------------------------------------------------------------

  /**
   * Answers 429 with `Retry-After: retryAfterSec` to `method` ('*' for every method): for the
   * next `count` calls, or for every call during the next `forMs` milliseconds.
   */
  rateLimit(method: string, options: { retryAfterSec: number; count?: number; forMs?: number }): void {
    const rule: RateLimitRule = { method, retryAfterSec: options.retryAfterSec };
    if (options.forMs !== undefined) rule.until = Date.now() + options.forMs;
    else rule.remaining = options.count ?? 1;
    this.rateLimits.push(rule);
  }

  /** The next `count` calls to `method` answer `{ ok: false, error }`. */
  failNext(method: string, error: string, count = 1): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < count; i++) queue.push(error);
    this.failures.set(method, queue);
  }

  /**
   * Answers HTTP `status` (default 503) to `method` ('*' for all) during the next `forMs`
   * milliseconds: a Slack outage. With `afterHandling`, the call takes effect and only its
   * answer is lost (a post lands, the client sees a 5xx).
   */
  serverError(method: string, options: { forMs: number; status?: number; afterHandling?: boolean }): void {
    this.outages.push({ method, status: options.status ?? 503, until: Date.now() + options.forMs, afterHandling: options.afterHandling ?? false });
  }

  /** Delays every answer to `method` ('*' for all) by `ms`: a slow Slack. */
  setLatency(method: string, ms: number): void {
    this.latency.set(method, ms);
  }

  addChannel(channel: FakeChannel): void {
    this.ws.channels.set(channel.id, channel);
  }

  addUser(user: FakeUser): void {
    this.ws.users.set(user.id, user);
  }

  /**
   * Stores a message as if a person had posted it (a prompt, a thread reply), so
   * `conversations.replies` serves it. Returns it with its ts.
   */
  injectMessage(message: { channel: string; user: string; text: string; thread_ts?: string; ts?: string; blocks?: unknown[]; files?: FakeFileObject[] }): FakeMessage {
    if (!this.ws.channels.has(message.channel)) throw new Error(`unknown channel ${message.channel}: addChannel it first`);
    // A message with files is a `file_share`, as Slack sends it.
    return this.ws.addMessage(message.files?.length ? { ...message, subtype: 'file_share' } : { ...message });
  }

  /**
   * A file a person uploaded: held here and served at its `url_private` only with the bot token
   * (as Slack does). Put the returned object in `injectMessage({ files })`.
   */
  addFile(file: { name: string; mimetype: string; bytes: Buffer; user?: string }): FakeFileObject {
    const id = this.ws.newId('F');
    this.ws.files.set(id, { id, filename: file.name, length: file.bytes.length, bytes: file.bytes, completed: true, mimetype: file.mimetype });
    return { id, name: file.name, title: file.name, mimetype: file.mimetype, filetype: file.name.split('.').pop() ?? '', size: file.bytes.length, url_private: `${this.baseUrl}/files-pri/T0FAKE-${id}/${encodeURIComponent(file.name)}` };
  }

  /** A `response_url` on this server; what is posted to it shows up in `responses(id)`. */
  responseUrl(id = `R${this.nextResponseId++}`): string {
    return `${this.baseUrl}/response/${id}`;
  }

  // ---- reading -----------------------------------------------------------------------------

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Top-level messages of a channel (thread replies excluded), oldest first. */
  messages(channel: string): FakeMessage[] {
    return (this.ws.messages.get(channel) ?? []).filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts);
  }

  /** A thread: its parent (when stored) then its replies, oldest first. */
  thread(channel: string, threadTs: string): FakeMessage[] {
    return this.ws.thread(channel, threadTs);
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    return this.ws.findMessage(channel, ts);
  }

  get ephemerals(): FakeEphemeral[] {
    return this.ws.ephemerals;
  }

  /** Turns Slack's agent sessions off (an older workspace: agents.* answers `unknown_method`). */
  disableAgentSessions(): void {
    this.ws.agentSessions = false;
  }

  /** Turns streamed messages off (an older workspace: chat.*Stream answers `unknown_method`). */
  disableStreaming(): void {
    this.ws.streaming = false;
  }

  /** Streams die this long after they start (Slack: about five minutes). */
  setStreamLifetime(ms: number): void {
    this.ws.streamLifetimeMs = ms;
  }

  /** The streamed messages of a thread, oldest first, with every chunk each received. */
  streams(channel: string, threadTs: string): FakeStream[] {
    return [...this.ws.streams.values()].filter((s) => s.channel === channel && s.threadTs === threadTs).sort((a, b) => Number(a.ts) - Number(b.ts));
  }

  /** The agent session of a thread (agents.sessions.setStatus), with every status and title it was given. */
  session(channel: string, threadTs: string): FakeSession | undefined {
    return this.ws.sessions.get(`${channel}:${threadTs}`);
  }

  /** The Slack Code channels created (agents.conversations.create), oldest first. */
  codeChannels(): FakeCodeChannel[] {
    return [...this.ws.codeChannels.values()];
  }

  /**
   * A person stops a streamed message with Slack's own Stop: it streams no more (appends and
   * stops answer `message_not_in_streaming_state`). Send the `agent_session_stopped` event
   * naming it (`streaming_message_ts`) to tell the app.
   */
  stopStreamAsPerson(channel: string, ts: string): void {
    const stream = this.ws.streams.get(`${channel}:${ts}`);
    if (!stream) throw new Error(`no stream ${channel}:${ts}`);
    stream.stopped = true;
    stream.stoppedByPerson = true;
  }

  get files(): FakeFile[] {
    return [...this.ws.files.values()];
  }

  homeView(userId: string): Record<string, unknown> | undefined {
    return this.ws.homeViews.get(userId)?.view;
  }

  /** A person's published Home tab with its view id (what a click on it carries). */
  homeTab(userId: string): { id: string; view: Record<string, unknown> } | undefined {
    return this.ws.homeViews.get(userId);
  }

  /**
   * A trigger_id for an interaction of `userId` (a click, a command), as Slack puts in the
   * payload: views.open takes it once, within the trigger lifetime (three seconds by default).
   */
  issueTrigger(userId: string): string {
    return issueTrigger(this.ws, userId);
  }

  /** Triggers live this long (to test expiry without waiting). */
  setTriggerLifetime(ms: number): void {
    this.ws.triggerLifetimeMs = ms;
  }

  /** The modals opened for a person (views.open), oldest first. */
  modals(userId: string): FakeModal[] {
    return [...this.ws.modals.values()].filter((m) => m.user === userId);
  }

  /** What was posted to `response_url`s, all or those of one id. */
  responses(id?: string): RecordedResponse[] {
    return id === undefined ? this.responsesReceived : this.responsesReceived.filter((r) => r.id === id);
  }

  /**
   * Polls `predicate` until it returns something truthy and returns that; throws after
   * `timeoutMs` with the last calls the fake saw, to show what happened instead.
   */
  async waitFor<T>(predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await predicate();
      if (value) return value;
      if (Date.now() > deadline) {
        const recent = this.calls.slice(-10).map((c) => `${c.method} → ${c.status} ${String(c.response.ok ? 'ok' : c.response.error)}`);
        throw new Error(`waitFor timed out after ${timeoutMs}ms; last calls:\n  ${recent.join('\n  ') || '(none)'}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  // ---- HTTP --------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const body = await readBody(req);
    const contentType = String(req.headers['content-type'] ?? '');
    const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (api?.[1]) return this.handleApi(api[1], req, res, url, body, contentType);
    const upload = /^\/upload\/v1\/([A-Z0-9]+)$/.exec(url.pathname);
    if (upload?.[1] && req.method === 'POST') return this.handleUpload(upload[1], res, body, contentType);
    const shared = /^\/files-pri\/T0FAKE-([A-Z0-9]+)\/[^/]+$/.exec(url.pathname);
    if (shared?.[1] && req.method === 'GET') return this.servePrivateFile(shared[1], req, res);
    const response = /^\/response\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    if (response?.[1] && req.method === 'POST') {
      this.responsesReceived.push({ id: response[1], body: parseLoose(body, contentType), at: Date.now() });
      return send(res, 200, { ok: true });
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }

  /** `url_private`: the bytes with the bot token in `Authorization`; anything else is refused. */
  private servePrivateFile(fileId: string, req: IncomingMessage, res: ServerResponse): void {
    const file = this.ws.files.get(fileId);
    const token = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const status = token !== this.token || !this.scopes.includes('files:read') ? 403 : !file?.bytes || !file.mimetype ? 404 : 200;
    this.calls.push({ method: 'files-pri', args: { file: fileId }, at: Date.now(), status, response: {}, contentType: '' });
    if (status !== 200 || !file?.bytes || !file.mimetype) {
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end('<html>sign in to Slack</html>');
      return;
    }
    res.writeHead(200, { 'content-type': file.mimetype, 'content-length': String(file.bytes.length) });
    res.end(file.bytes);
  }

  private async handleApi(method: string, req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer, contentType: string): Promise<void> {
    const at = Date.now();
    const finish = async (status: number, response: Record<string, unknown>, args: Args, headers: Record<string, string> = {}) => {
      this.calls.push({ method, args, at, status, response, contentType });
      const delay = this.latency.get(method) ?? this.latency.get('*') ?? 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      send(res, status, response, headers);
    };

    let parsed: { args: Args; bodyToken?: string };
    try {
      parsed = await parseArgs(req.method ?? 'POST', url, body, contentType);
    } catch (e) {
      const error = e instanceof SlackApiError ? e.error : 'invalid_form_data';
      return finish(200, { ok: false, error }, {});
    }
    const { args } = parsed;
    const header = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const token = header ?? parsed.bodyToken;
    if (!ALL_METHODS[method]) return finish(200, { ok: false, error: 'unknown_method', req_method: method }, args);
    if (!token) return finish(200, { ok: false, error: 'not_authed' }, args);
    if (token !== this.token) return finish(200, { ok: false, error: 'invalid_auth' }, args);

    // Like Slack: every answer to a valid token names the scopes granted to it.
    const scopes = { 'x-oauth-scopes': this.scopes.join(',') };
    const needed = METHOD_SCOPES[method];
    if (needed && !this.scopes.includes(needed)) return finish(200, { ok: false, error: 'missing_scope', needed, provided: this.scopes.join(',') }, args, scopes);
    const limited = this.takeRateLimit(method) ?? this.tiers?.take(method, typeof args.channel === 'string' ? args.channel : undefined);
    if (limited !== undefined) return finish(429, { ok: false, error: 'ratelimited' }, args, { 'retry-after': String(limited), ...scopes });
    const failure = this.failures.get(method)?.shift();
    if (failure) return finish(200, { ok: false, error: failure }, args, scopes);
    const outage = this.outages.find((o) => (o.method === method || o.method === '*') && o.until > Date.now());
    if (outage && !outage.afterHandling) return finish(outage.status, { ok: false, error: 'service_unavailable' }, args);

    try {
      const result = ALL_METHODS[method]!({ ws: this.ws, args, baseUrl: this.baseUrl });
      if (outage) return finish(outage.status, { ok: false, error: 'service_unavailable' }, args);
      return finish(200, { ok: true, ...result }, args, scopes);
    } catch (e) {
      if (!(e instanceof SlackApiError)) throw e;
      return finish(200, { ok: false, error: e.error, ...e.extra }, args, scopes);
    }
  }

  private takeRateLimit(method: string): number | undefined {
    const now = Date.now();
    this.rateLimits = this.rateLimits.filter((r) => (r.until === undefined ? (r.remaining ?? 0) > 0 : r.until > now));
    const rule = this.rateLimits.find((r) => r.method === method || r.method === '*');
    if (!rule) return undefined;
    if (rule.remaining !== undefined) rule.remaining -= 1;
    return rule.retryAfterSec;
  }

  private async handleUpload(fileId: string, res: ServerResponse, body: Buffer, contentType: string): Promise<void> {
    const file = this.ws.files.get(fileId);
    if (!file || file.completed) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    let bytes = body;
    if (contentType.startsWith('multipart/form-data')) {
      // The WebClient sends the file as a multipart part (its form field is `body`).
      const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
      const part = [...form.values()].find((v): v is File => typeof v !== 'string') ?? form.get('file') ?? form.get('body');
      if (part === null || part === undefined) bytes = Buffer.alloc(0);
      else bytes = typeof part === 'string' ? Buffer.from(part) : Buffer.from(await part.arrayBuffer());
    }
    file.bytes = bytes;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`OK - ${bytes.length}`);
  }
}

/** Starts a fake Slack on a free local port. */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  return new FakeSlack(options).start();
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseLoose(body: Buffer, contentType: string): unknown {
  const text = body.toString('utf8');
  if (contentType.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function parseArgs(method: string, url: URL, body: Buffer, contentType: string): Promise<{ args: Args; bodyToken?: string }> {
  const raw: Args = {};
  let tokenAllowedInBody = true;
  if (method === 'GET') {
    for (const [k, v] of url.searchParams) raw[k] = v;
  } else if (body.length === 0) {
    // No arguments.
  } else if (contentType.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) raw[k] = v;
  } else if (contentType.startsWith('application/json')) {
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new SlackApiError('invalid_json');
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SlackApiError('invalid_json');
    Object.assign(raw, json);
    // Slack reads the token of a JSON body from the Authorization header only.
    tokenAllowedInBody = false;
  } else if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
    for (const [k, v] of form) raw[k] = typeof v === 'string' ? v : Buffer.from(await v.arrayBuffer());
  } else if (contentType === '') {
    throw new SlackApiError('missing_post_type');
  } else {
    throw new SlackApiError('invalid_post_type');
  }
  const bodyToken = tokenAllowedInBody && typeof raw.token === 'string' ? raw.token : undefined;
  delete raw.token;
  for (const key of JSON_ARGS) {
    const v = raw[key];
    if (typeof v !== 'string') continue;
    try {
      raw[key] = JSON.parse(v);
    } catch {
      throw new SlackApiError(key === 'blocks' ? 'invalid_blocks_format' : 'invalid_arguments');
    }
  }
  return { args: raw, ...(bodyToken ? { bodyToken } : {}) };
}
