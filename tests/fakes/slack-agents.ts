import { validateBlocks } from './block-kit-validator.js';
import { SlackApiError, type Args, type Handler, type MethodContext } from './slack-methods.js';
import type { FakeWorkspace } from './slack-workspace.js';

/*
 * Slack's agent surfaces beyond setStatus: Slack Code channels (agents.conversations.create /
 * setProperties / setView / setCommands / archive) and agents.sessions.rename, as strict as
 * Slack's documentation and the installed @slack/web-api 8.2 types say:
 * - create: origin_channel_id and origin_message_ts together (the origin message must exist, not
 *   in a DM), else `name`; `session_id` makes it idempotent (the same channel again); the
 *   origin message's author is invited;
 * - setProperties: at least one property; context_bar_items ≤ 5 (key ≤ 64, label ≤ 128, icon
 *   from Slack's list, url ≤ 2048, item_type info|action, a url on an action item turns it
 *   into info with a warning); summary_message.message_ts;
 * - setView: type html (default) | diff | block_kit | canvas | pull_request with the arguments
 *   each needs; content ≤ 1,000,000 bytes (`content_too_large`); a diff view is one per channel;
 * - setCommands: ≤ 10 commands, names 1–31 characters, unique;
 * - archive: `already_archived`; posting to an archived channel answers `is_archived`;
 * - sessions.rename / setStatus: `thread_ts` required for a thread session, omitted for a code
 *   channel; title 1–200 characters.
 * Every agents.conversations.* method needs the `code_channels:manage` scope (FakeSlack checks
 * it against the token's scopes: `missing_scope`); a channel that is not a code channel answers
 * `channel_not_found` when unknown and `not_a_code_channel` otherwise.
 */

export const VIEW_MAX_BYTES = 1_000_000;
export const CONTEXT_BAR_MAX = 5;
const ICONS = new Set(['branch', 'folder', 'hierarchy', 'life-ring', 'link', 'globe', 'terminal', 'code', 'search', 'lock']);
const VIEW_TYPES = new Set(['html', 'diff', 'block_kit', 'canvas', 'pull_request']);
const SESSION_STATUSES = new Set(['active', 'processing', 'suspended', 'closed']);

/** The scope each method needs beyond the token's basics (FakeSlack answers `missing_scope` without it). */
export const METHOD_SCOPES: Record<string, string> = {
  'agents.conversations.create': 'code_channels:manage',
  'agents.conversations.setProperties': 'code_channels:manage',
  'agents.conversations.setView': 'code_channels:manage',
  'agents.conversations.setCommands': 'code_channels:manage',
  'agents.conversations.archive': 'code_channels:manage',
};

export interface FakeContextBarItem {
  key: string;
  label: string;
  icon?: string;
  url?: string;
  item_type?: string;
}

/** A code channel as the fake holds it; tests read it through FakeSlack.codeChannel(s). */
export interface FakeCodeChannel {
  id: string;
  name: string;
  sessionId?: string;
  origin?: { channel: string; ts: string };
  members: string[];
  isPrivate: boolean;
  title: string;
  status?: string;
  statusHistory: string[];
  contextBar: FakeContextBarItem[];
  /** Every context bar set, in order. */
  contextBarHistory: FakeContextBarItem[][];
  summaryMessageTs?: string;
  /** Views by key (`diff` for the diff view). */
  views: Map<string, Record<string, unknown>>;
  commands: Array<Record<string, unknown>>;
  archived: boolean;
}

function invalid(message: string): SlackApiError {
  return new SlackApiError('invalid_arguments', { response_metadata: { messages: [`[ERROR] ${message}`] } });
}

function text(args: Args, name: string): string | undefined {
  const v = args[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function codeChannel(ctx: MethodContext, live = true): FakeCodeChannel {
  const id = text(ctx.args, 'channel_id');
  if (!id) throw invalid('missing required field: channel_id');
  const channel = ctx.ws.codeChannels.get(id);
  if (!channel) throw new SlackApiError(ctx.ws.channels.has(id) ? 'not_a_code_channel' : 'channel_not_found');
  if (live && channel.archived) throw new SlackApiError('is_archived');
  return channel;
}

const create: Handler = (ctx) => {
  const { ws, args } = ctx;
  const originChannel = text(args, 'origin_channel_id');
  const originTs = text(args, 'origin_message_ts');
  if (Boolean(originChannel) !== Boolean(originTs)) throw invalid('origin_channel_id and origin_message_ts must be provided together');
  const name = text(args, 'name');
  if (!originChannel && !name) throw invalid('missing required field: name');
  const sessionId = text(args, 'session_id');
  const existing = sessionId ? [...ws.codeChannels.values()].find((c) => c.sessionId === sessionId) : undefined;
  if (existing) return { channel_id: existing.id };
  let origin: FakeCodeChannel['origin'];
  let author: string | undefined;
  let isPrivate = args.is_private === true || args.is_private === 'true';
  if (originChannel && originTs) {
    const info = ws.channels.get(originChannel);
    if (!info) throw new SlackApiError('channel_not_found');
    if (info.isIm) throw new SlackApiError('invalid_origin_channel');
    const message = ws.findMessage(originChannel, originTs);
    if (!message) throw new SlackApiError('message_not_found');
    origin = { channel: originChannel, ts: originTs };
    author = message.user;
    if (args.is_private === undefined) isPrivate = info.isPrivate ?? false;
  }
  const id = ws.newId(isPrivate ? 'G' : 'C');
  const title = (name ?? ws.findMessage(originChannel!, originTs!)?.text ?? 'Code channel').slice(0, 200);
  ws.channels.set(id, { id, name: `code-${id.toLowerCase()}`, isPrivate });
  ws.codeChannels.set(id, {
    id,
    name: title,
    ...(sessionId ? { sessionId } : {}),
    ...(origin ? { origin } : {}),
    members: author ? [author] : [],
    isPrivate,
    title,
    statusHistory: [],
    contextBar: [],
    contextBarHistory: [],
    views: new Map(),
    commands: [],
    archived: false,
  });
  return { channel_id: id };
};

function checkBarItem(raw: unknown, i: number): { item: FakeContextBarItem; warning?: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`context_bar_items[${i}] must be an object`);
  const item = raw as Args;
  const key = text(item, 'key');
  const label = text(item, 'label');
  if (!key || key.length > 64) throw invalid(`context_bar_items[${i}].key must be 1 to 64 characters`);
  if (!label || label.length > 128) throw invalid(`context_bar_items[${i}].label must be 1 to 128 characters`);
  if (item.icon !== undefined && !ICONS.has(String(item.icon))) throw invalid(`context_bar_items[${i}].icon must be one of ${[...ICONS].join(', ')}`);
  const url = item.url;
  if (url !== undefined && (typeof url !== 'string' || url.length > 2048 || !URL.canParse(url))) throw invalid(`context_bar_items[${i}].url must be a URL of at most 2048 characters`);
  const type = item.item_type ?? 'info';
  if (type !== 'info' && type !== 'action') throw invalid(`context_bar_items[${i}].item_type must be info or action`);
  const out: FakeContextBarItem = { key, label, ...(item.icon ? { icon: String(item.icon) } : {}), ...(url ? { url: String(url) } : {}), item_type: String(type) };
  if (type === 'action' && url) return { item: { ...out, item_type: 'info' }, warning: 'action_with_url_overridden_to_info' };
  return { item: out };
}

const setProperties: Handler = (ctx) => {
  const channel = codeChannel(ctx);
  const props = ctx.args.code_channel;
  const resource = ctx.args.agent_resource;
  if (props === undefined && resource === undefined && ctx.args.title === undefined && ctx.args.status === undefined) throw invalid('at least one property must be provided');
  const warnings: string[] = [];
  if (props !== undefined) {
    if (typeof props !== 'object' || props === null || Array.isArray(props)) throw invalid('code_channel must be an object');
    const { context_bar_items: items, summary_message: summary } = props as Args;
    if (items !== undefined) {
      if (!Array.isArray(items)) throw invalid('code_channel.context_bar_items must be an array');
      if (items.length > CONTEXT_BAR_MAX) throw invalid(`code_channel.context_bar_items must hold at most ${CONTEXT_BAR_MAX} items`);
      const checked = items.map(checkBarItem);
      const keys = new Set(checked.map((c) => c.item.key));
      if (keys.size !== checked.length) throw invalid('code_channel.context_bar_items keys must be unique');
      for (const c of checked) if (c.warning) warnings.push(c.warning);
      channel.contextBar = checked.map((c) => c.item);
      channel.contextBarHistory.push(channel.contextBar);
    }
    if (summary !== undefined) {
      const ts = typeof summary === 'object' && summary !== null ? text(summary as Args, 'message_ts') : undefined;
      if (!ts) throw invalid('code_channel.summary_message.message_ts is required');
      channel.summaryMessageTs = ts;
    }
  }
  if (ctx.args.status !== undefined) {
    if (!SESSION_STATUSES.has(String(ctx.args.status))) throw invalid('status must be one of active, processing, suspended, closed');
    setCodeChannelStatus(channel, String(ctx.args.status));
  }
  return { channel_id: channel.id, ...(warnings.length ? { warning: warnings.join(',') } : {}) };
};

const setView: Handler = (ctx) => {
  const channel = codeChannel(ctx);
  const { args } = ctx;
  const type = String(args.type ?? 'html');
  if (!VIEW_TYPES.has(type)) throw invalid(`type must be one of ${[...VIEW_TYPES].join(', ')}`);
  const viewKey = text(args, 'view_key');
  if ((type === 'html' || type === 'block_kit' || type === 'canvas') && !viewKey) throw invalid(`view_key is required for ${type} views`);
  if (type === 'html' || type === 'diff') {
    const content = args.content;
    if (typeof content !== 'string' || content.length === 0) throw invalid(`content is required for ${type} views`);
    if (Buffer.byteLength(content, 'utf8') > VIEW_MAX_BYTES) throw new SlackApiError('content_too_large');
  }
  if (type === 'block_kit') {
    const issues = validateBlocks(args.blocks, 'modal', '/blocks');
    if (!Array.isArray(args.blocks) || issues.length > 0) throw invalid(`blocks are required for block_kit views${issues[0] ? `: ${issues[0].message}` : ''}`);
  }
  if (type === 'canvas' && !text(args, 'canvas_id')) throw invalid('canvas_id is required for canvas views');
  if (type === 'pull_request') {
    const url = text(args, 'pr_url');
    if (!url || !URL.canParse(url)) throw invalid('pr_url is required for pull_request views');
  }
  const key = type === 'diff' ? 'diff' : (viewKey ?? `${type}:${String(args.pr_url ?? '')}`);
  channel.views.set(key, { ...args, type });
  return { channel_id: channel.id, view_id: `VT${key.length}${channel.views.size}` };
};

const setCommands: Handler = (ctx) => {
  const channel = codeChannel(ctx);
  const commands = ctx.args.commands;
  if (!Array.isArray(commands)) throw invalid('missing required field: commands');
  if (commands.length > 10) throw new SlackApiError('too_many_commands');
  const names = commands.map((c, i) => {
    const name = typeof c === 'object' && c !== null ? text(c as Args, 'name') : undefined;
    if (!name || name.length > 31 || name.startsWith('/')) throw invalid(`commands[${i}].name must be 1 to 31 characters, without a leading slash`);
    return name;
  });
  if (new Set(names).size !== names.length) throw invalid('command names must be unique');
  channel.commands = commands as Array<Record<string, unknown>>;
  return { channel_id: channel.id };
};

const archive: Handler = (ctx) => {
  const channel = codeChannel(ctx, false);
  if (channel.archived) throw new SlackApiError('already_archived');
  const summary = text(ctx.args, 'summary_message_ts');
  if (summary && ctx.ws.findMessage(channel.id, summary)) channel.summaryMessageTs = summary;
  channel.archived = true;
  return {};
};

function setCodeChannelStatus(channel: FakeCodeChannel, status: string): void {
  channel.status = status;
  channel.statusHistory.push(status);
}

/** thread_ts as a session method takes it: required in ordinary channels, omitted in code channels. */
function sessionTarget(ctx: MethodContext): { code?: FakeCodeChannel; channel: string; threadTs?: string } {
  if (!ctx.ws.agentSessions) throw new SlackApiError('unknown_method');
  const channel = text(ctx.args, 'channel_id');
  if (!channel) throw invalid('missing required field: channel_id');
  if (!ctx.ws.channels.has(channel)) throw new SlackApiError('channel_not_found');
  const threadTs = text(ctx.args, 'thread_ts');
  const code = ctx.ws.codeChannels.get(channel);
  if (code) {
    if (threadTs) throw invalid('thread_ts must be omitted for session channels');
    if (code.archived) throw new SlackApiError('is_archived');
    return { code, channel };
  }
  if (!threadTs) throw invalid('thread_ts is required for thread-based sessions');
  if (!ctx.ws.channelMessages(channel).some((m) => m.ts === threadTs)) throw new SlackApiError('thread_not_found');
  return { channel, threadTs };
}

function checkTitle(title: unknown, required: boolean): string | undefined {
  if (title === undefined && !required) return undefined;
  if (typeof title !== 'string' || title.length === 0 || title.length > 200) throw invalid('title must be 1 to 200 characters');
  return title;
}

/**
 * `agents.sessions.setStatus`: a thread's session (thread_ts: the thread's root, which must
 * exist) or a code channel's (no thread_ts). A title is used only when the session is created.
 * Without the `agent_session_stopped` subscription Slack shows no Stop button and says so.
 */
const sessionsSetStatus: Handler = (ctx) => {
  const target = sessionTarget(ctx);
  const status = text(ctx.args, 'status');
  if (!status) throw invalid('missing required field: status');
  if (!SESSION_STATUSES.has(status)) throw invalid(`invalid value for status: ${status}`);
  const title = checkTitle(ctx.args.title, false);
  if (target.code) setCodeChannelStatus(target.code, status);
  else {
    const key = `${target.channel}:${target.threadTs}`;
    const session = ctx.ws.sessions.get(key) ?? { status, title, history: [], titles: title ? [title] : [] };
    session.status = status;
    session.history.push(status);
    ctx.ws.sessions.set(key, session);
  }
  return ctx.ws.subscribedToSessionStops ? { status } : { status, warning: 'missing_agent_session_stopped_subscription' };
};

/** `agents.sessions.rename`: the session must exist (a code channel's always does). */
const sessionsRename: Handler = (ctx) => {
  const target = sessionTarget(ctx);
  const title = checkTitle(ctx.args.title, true)!;
  if (target.code) {
    target.code.title = title;
    return {};
  }
  const session = ctx.ws.sessions.get(`${target.channel}:${target.threadTs}`);
  if (!session) throw new SlackApiError('session_not_found');
  session.title = title;
  session.titles.push(title);
  return {};
};

export const AGENT_METHODS: Record<string, Handler> = {
  'agents.conversations.create': create,
  'agents.conversations.setProperties': setProperties,
  'agents.conversations.setView': setView,
  'agents.conversations.setCommands': setCommands,
  'agents.conversations.archive': archive,
  'agents.sessions.setStatus': sessionsSetStatus,
  'agents.sessions.rename': sessionsRename,
};

/** True when `channel` is an archived code channel (posting there answers `is_archived`). */
export function isArchived(ws: FakeWorkspace, channel: string): boolean {
  return ws.codeChannels.get(channel)?.archived ?? false;
}
