import { SlackApiError, type Args, type Handler, type MethodContext } from './slack-methods.js';
import { FAKE_IDS, type FakeMessage } from './slack-workspace.js';

/*
 * Slack's streamed messages (chat.startStream / chat.appendStream / chat.stopStream), as strict
 * as the documentation and the installed @slack/web-api types say: `channel` and `thread_ts`
 * (start), `channel` and `ts` (append, stop); `markdown_text` (≤ 12,000 characters) or `chunks`
 * on start and append; chunk types `markdown_text`, `task_update` (id, title, status
 * pending|in_progress|complete|error, details and output ≤ 256 characters each), `plan_update`
 * (title), `blocks` (≤ 50); `task_display_mode` timeline|plan; a stream outside a DM names its
 * recipient (`recipient_user_id`, `recipient_team_id`). A stream dies `streamLifetimeMs` after
 * it started (Slack: about five minutes) or once stopped: appends and stops then answer
 * `message_not_in_streaming_state`. A workspace without streaming answers `unknown_method`.
 */

export const MARKDOWN_MAX = 12_000;
export const TASK_FIELD_MAX = 256;
const TASK_STATUSES = new Set(['pending', 'in_progress', 'complete', 'error']);
const DISPLAY_MODES = new Set(['timeline', 'plan']);

/** A streamed message: every chunk it received, in order, and whether it still streams. */
export interface FakeStream {
  channel: string;
  ts: string;
  threadTs: string;
  startedAt: number;
  stopped: boolean;
  /** Died because its lifetime ran out (rather than stopped by the app). */
  expired: boolean;
  /** A person stopped it with Slack's own Stop (FakeSlack.stopStreamAsPerson). */
  stoppedByPerson?: boolean;
  recipient?: { user: string; team: string };
  displayMode?: string;
  chunks: Array<Record<string, unknown>>;
  sessionStatus?: string;
}

function invalid(message: string): SlackApiError {
  return new SlackApiError('invalid_arguments', { response_metadata: { messages: [`[ERROR] ${message}`] } });
}

function field(chunk: Args, name: string, where: string, optional = false): string | undefined {
  const v = chunk[name];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v.length === 0) throw invalid(`${where}.${name} must be a non-empty string`);
  return v;
}

/** The content of a start, append or stop: `markdown_text` and/or `chunks`, as chunks. */
function content(args: Args, required: boolean): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const md = args.markdown_text;
  if (md !== undefined) {
    if (typeof md !== 'string' || md.length === 0) throw invalid('markdown_text must be a non-empty string');
    if (md.length > MARKDOWN_MAX) throw new SlackApiError('msg_too_long');
    out.push({ type: 'markdown_text', text: md });
  }
  const chunks = args.chunks;
  if (chunks !== undefined) {
    if (!Array.isArray(chunks) || chunks.length === 0) throw invalid('chunks must be a non-empty array');
    chunks.forEach((c, i) => out.push(checkChunk(c, `chunks[${i}]`)));
  }
  if (required && out.length === 0) throw invalid('either markdown_text or chunks is required');
  return out;
}

function checkChunk(raw: unknown, where: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`${where} must be an object`);
  const c = raw as Args;
  switch (c.type) {
    case 'markdown_text': {
      const text = field(c, 'text', where)!;
      if (text.length > MARKDOWN_MAX) throw new SlackApiError('msg_too_long');
      break;
    }
    case 'task_update': {
      field(c, 'id', where);
      const title = field(c, 'title', where)!;
      if (!TASK_STATUSES.has(String(c.status))) throw invalid(`${where}.status must be one of pending, in_progress, complete, error`);
      for (const [name, value] of [['title', title], ['details', field(c, 'details', where, true)], ['output', field(c, 'output', where, true)]] as const) {
        if (value !== undefined && value.length > TASK_FIELD_MAX) throw invalid(`${where}.${name} must be at most ${TASK_FIELD_MAX} characters`);
      }
      break;
    }
    case 'plan_update': {
      const title = field(c, 'title', where)!;
      if (title.length > TASK_FIELD_MAX) throw invalid(`${where}.title must be at most ${TASK_FIELD_MAX} characters`);
      break;
    }
    case 'blocks':
      if (!Array.isArray(c.blocks) || c.blocks.length === 0 || c.blocks.length > 50) throw invalid(`${where}.blocks must hold 1 to 50 blocks`);
      break;
    default:
      throw invalid(`${where}.type must be one of markdown_text, task_update, plan_update, blocks`);
  }
  return c;
}

function requiredArg(args: Args, name: string, error: string): string {
  const v = args[name];
  if (typeof v !== 'string' || v.length === 0) throw new SlackApiError(error, { response_metadata: { messages: [`[ERROR] missing required field: ${name}`] } });
  return v;
}

function live(ctx: MethodContext): { stream: FakeStream; message: FakeMessage } {
  if (!ctx.ws.streaming) throw new SlackApiError('unknown_method');
  const channel = requiredArg(ctx.args, 'channel', 'channel_not_found');
  if (!ctx.ws.channels.has(channel)) throw new SlackApiError('channel_not_found');
  const ts = requiredArg(ctx.args, 'ts', 'message_not_found');
  const stream = ctx.ws.streams.get(`${channel}:${ts}`);
  const message = ctx.ws.findMessage(channel, ts);
  if (!stream || !message) throw new SlackApiError('message_not_found');
  if (!stream.stopped && Date.now() - stream.startedAt >= ctx.ws.streamLifetimeMs) {
    stream.stopped = true;
    stream.expired = true;
  }
  if (stream.stopped) throw new SlackApiError('message_not_in_streaming_state');
  return { stream, message };
}

function record(stream: FakeStream, message: FakeMessage, chunks: Array<Record<string, unknown>>): void {
  stream.chunks.push(...chunks);
  // The message's text is the streamed markdown so far, as conversations.replies shows it.
  message.text = stream.chunks.filter((c) => c.type === 'markdown_text').map((c) => String(c.text)).join('');
}

const startStream: Handler = (ctx) => {
  const { ws, args } = ctx;
  if (!ws.streaming) throw new SlackApiError('unknown_method');
  const channel = requiredArg(args, 'channel', 'channel_not_found');
  const info = ws.channels.get(channel);
  if (!info) throw new SlackApiError('channel_not_found');
  const threadTs = requiredArg(args, 'thread_ts', 'invalid_arguments');
  if (!ws.findMessage(channel, threadTs)) throw new SlackApiError('thread_not_found');
  const mode = args.task_display_mode;
  if (mode !== undefined && !DISPLAY_MODES.has(String(mode))) throw invalid('task_display_mode must be timeline or plan');
  const user = typeof args.recipient_user_id === 'string' ? args.recipient_user_id : undefined;
  const team = typeof args.recipient_team_id === 'string' ? args.recipient_team_id : undefined;
  if (!info.isIm) {
    if (!user) throw new SlackApiError('missing_recipient_user_id');
    if (!team) throw new SlackApiError('missing_recipient_team_id');
  }
  if (user && !ws.users.has(user)) throw new SlackApiError('invalid_recipient_user_id');
  if (team && team !== FAKE_IDS.team) throw new SlackApiError('invalid_recipient_team_id');
  const chunks = content(args, true);
  const message = ws.addMessage({ channel, thread_ts: threadTs, text: '', user: FAKE_IDS.botUser, bot_id: FAKE_IDS.bot, app_id: FAKE_IDS.app });
  const stream: FakeStream = { channel, ts: message.ts, threadTs, startedAt: Date.now(), stopped: false, expired: false, chunks: [], ...(user && team ? { recipient: { user, team } } : {}), ...(mode ? { displayMode: String(mode) } : {}) };
  ws.streams.set(`${channel}:${message.ts}`, stream);
  record(stream, message, chunks);
  return { channel, ts: message.ts };
};

const appendStream: Handler = (ctx) => {
  const { stream, message } = live(ctx);
  record(stream, message, content(ctx.args, true));
  return { channel: stream.channel, ts: stream.ts };
};

const stopStream: Handler = (ctx) => {
  const { stream, message } = live(ctx);
  record(stream, message, content(ctx.args, false));
  if (Array.isArray(ctx.args.blocks)) message.blocks = ctx.args.blocks;
  if (typeof ctx.args.session_status === 'string') stream.sessionStatus = ctx.args.session_status;
  stream.stopped = true;
  return { channel: stream.channel, ts: stream.ts, message: { ts: stream.ts, text: message.text } };
};

export const STREAM_METHODS: Record<string, Handler> = {
  'chat.startStream': startStream,
  'chat.appendStream': appendStream,
  'chat.stopStream': stopStream,
};
