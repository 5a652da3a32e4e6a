import { checkMessage, validateBlocks } from './block-kit-validator.js';
import { apiMessage, FAKE_IDS, type FakeMessage, type FakeWorkspace } from './slack-workspace.js';

/*
 * The Web API methods the fake serves, each as strict as Slack's documentation says: required
 * arguments, documented error codes, block validation. A handler returns the fields of a
 * successful answer or throws `SlackApiError` with the documented `error` code.
 */

export class SlackApiError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

export type Args = Record<string, unknown>;

export interface MethodContext {
  ws: FakeWorkspace;
  args: Args;
  /** Base URL of the fake server (for upload URLs and permalinks). */
  baseUrl: string;
}

export type Handler = (ctx: MethodContext) => Record<string, unknown>;

function str(args: Args, name: string): string | undefined {
  const v = args[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function required(args: Args, name: string, error = 'invalid_arguments'): string {
  const v = str(args, name);
  if (v === undefined) throw new SlackApiError(error, { response_metadata: { messages: [`[ERROR] missing required field: ${name}`] } });
  return v;
}

function channelArg(ctx: MethodContext, name = 'channel', notFound = 'channel_not_found'): string {
  const id = required(ctx.args, name, notFound);
  if (!ctx.ws.channels.has(id)) throw new SlackApiError(notFound);
  return id;
}

function bool(args: Args, name: string): boolean {
  const v = args[name];
  return v === true || v === 'true' || v === '1' || v === 1;
}

function blocksError(issues: Array<{ pointer: string; message: string }>, error: string): SlackApiError {
  const lines = issues.map((i) => `${i.message} [json-pointer:${i.pointer}]`);
  return new SlackApiError(error, { errors: lines, response_metadata: { messages: lines.map((l) => `[ERROR] ${l}`) } });
}

/** text/blocks/metadata of chat.postMessage, chat.update and chat.postEphemeral. */
function checkContent(args: Args): void {
  if (args.blocks !== undefined && !Array.isArray(args.blocks)) throw new SlackApiError('invalid_blocks_format');
  const check = checkMessage({ text: args.text, blocks: args.blocks, attachments: args.attachments });
  if (!check.ok) throw blocksError(check.issues, check.error);
  const md = args.metadata;
  if (md !== undefined) {
    const ok =
      typeof md === 'object' &&
      md !== null &&
      typeof (md as Args).event_type === 'string' &&
      ((md as Args).event_type as string).length > 0 &&
      typeof (md as Args).event_payload === 'object' &&
      (md as Args).event_payload !== null &&
      !Array.isArray((md as Args).event_payload);
    if (!ok) throw new SlackApiError('invalid_metadata_format');
    if (JSON.stringify(md).length > 8_000) throw new SlackApiError('metadata_too_large');
  }
}

function botMessageFields(): Pick<FakeMessage, 'user' | 'bot_id' | 'app_id'> {
  return { user: FAKE_IDS.botUser, bot_id: FAKE_IDS.bot, app_id: FAKE_IDS.app };
}

const postMessage: Handler = ({ ws, args }) => {
  const channel = required(args, 'channel', 'channel_not_found');
  if (!ws.channels.has(channel)) throw new SlackApiError('channel_not_found');
  if (ws.codeChannels.get(channel)?.archived) throw new SlackApiError('is_archived');
  checkContent(args);
  const threadTs = str(args, 'thread_ts');
  const stored = ws.addMessage({
    channel,
    text: typeof args.text === 'string' ? args.text : '',
    ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
    ...(args.metadata ? { metadata: args.metadata as FakeMessage['metadata'] } : {}),
    ...(threadTs ? { thread_ts: threadTs } : {}),
    ...botMessageFields(),
  });
  return { channel, ts: stored.ts, message: apiMessage(stored, ws.channelMessages(channel), true) };
};

const update: Handler = ({ ws, args }) => {
  const channel = required(args, 'channel', 'channel_not_found');
  if (!ws.channels.has(channel)) throw new SlackApiError('channel_not_found');
  const ts = required(args, 'ts', 'message_not_found');
  const message = ws.findMessage(channel, ts);
  if (!message) throw new SlackApiError('message_not_found');
  if (message.user !== FAKE_IDS.botUser) throw new SlackApiError('cant_update_message');
  checkContent(args);
  message.history.push({ text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) });
  if (typeof args.text === 'string') message.text = args.text;
  // Slack: text without blocks removes the blocks; blocks without text keep the old text.
  if (Array.isArray(args.blocks)) message.blocks = args.blocks;
  else if (typeof args.text === 'string') delete message.blocks;
  if (args.metadata) message.metadata = args.metadata as FakeMessage['metadata'];
  return { channel, ts, text: message.text, message: apiMessage(message, ws.channelMessages(channel), true) };
};

const postEphemeral: Handler = ({ ws, args }) => {
  const channel = required(args, 'channel', 'channel_not_found');
  if (!ws.channels.has(channel)) throw new SlackApiError('channel_not_found');
  const user = required(args, 'user', 'user_not_in_channel');
  if (!ws.users.has(user)) throw new SlackApiError('user_not_in_channel');
  checkContent(args);
  const message_ts = ws.newTs(channel);
  const threadTs = str(args, 'thread_ts');
  ws.ephemerals.push({
    channel,
    user,
    text: typeof args.text === 'string' ? args.text : '',
    ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
    ...(threadTs ? { thread_ts: threadTs } : {}),
    message_ts,
  });
  return { message_ts };
};

const getPermalink: Handler = ({ ws, args, baseUrl }) => {
  const channel = channelArg({ ws, args, baseUrl });
  const ts = required(args, 'message_ts', 'message_not_found');
  const message = ws.findMessage(channel, ts);
  if (!message) throw new SlackApiError('message_not_found');
  const thread = message.thread_ts ? `?thread_ts=${message.thread_ts}&cid=${channel}` : '';
  return { channel, permalink: `${baseUrl}/archives/${channel}/p${ts.replace('.', '')}${thread}` };
};

function reactionTarget(ctx: MethodContext): { message: FakeMessage; name: string } {
  const channel = channelArg(ctx);
  const ts = str(ctx.args, 'timestamp');
  if (!ts) throw new SlackApiError('no_item_specified');
  const message = ctx.ws.findMessage(channel, ts);
  if (!message) throw new SlackApiError('message_not_found');
  const name = required(ctx.args, 'name', 'invalid_name');
  if (!/^[a-z0-9_+'-]+(::skin-tone-[2-6])?$/.test(name)) throw new SlackApiError('invalid_name');
  return { message, name };
}

const reactionsAdd: Handler = (ctx) => {
  const { message, name } = reactionTarget(ctx);
  const reactions = (message.reactions ??= []);
  const existing = reactions.find((r) => r.name === name);
  if (existing?.users.includes(FAKE_IDS.botUser)) throw new SlackApiError('already_reacted');
  if (existing) {
    existing.users.push(FAKE_IDS.botUser);
    existing.count += 1;
  } else reactions.push({ name, users: [FAKE_IDS.botUser], count: 1 });
  return {};
};

const reactionsRemove: Handler = (ctx) => {
  const { message, name } = reactionTarget(ctx);
  const r = message.reactions?.find((x) => x.name === name);
  if (!r || !r.users.includes(FAKE_IDS.botUser)) throw new SlackApiError('no_reaction');
  r.users = r.users.filter((u) => u !== FAKE_IDS.botUser);
  r.count -= 1;
  if (r.count === 0) message.reactions = message.reactions?.filter((x) => x !== r);
  return {};
};

const getUploadURLExternal: Handler = ({ ws, args, baseUrl }) => {
  const filename = required(args, 'filename');
  const lengthRaw = args.length;
  const length = typeof lengthRaw === 'number' ? lengthRaw : Number(lengthRaw);
  if (lengthRaw === undefined || !Number.isInteger(length) || length < 0) {
    throw new SlackApiError('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: length'] } });
  }
  const id = ws.newId('F');
  ws.files.set(id, {
    id,
    filename,
    length,
    completed: false,
    ...(str(args, 'alt_text') ? { altText: str(args, 'alt_text') } : {}),
    ...(str(args, 'snippet_type') ? { snippetType: str(args, 'snippet_type') } : {}),
  });
  return { upload_url: `${baseUrl}/upload/v1/${id}`, file_id: id };
};

const completeUploadExternal: Handler = ({ ws, args }) => {
  const files = args.files;
  if (!Array.isArray(files) || files.length === 0) throw new SlackApiError('invalid_arguments');
  const channel = str(args, 'channel_id') ?? str(args, 'channels');
  if (channel !== undefined && !ws.channels.has(channel)) throw new SlackApiError('invalid_channel');
  const threadTs = str(args, 'thread_ts');
  if (threadTs && !channel) throw new SlackApiError('invalid_arguments');
  const done = files.map((f) => {
    const id = (f as Args | null)?.id;
    const file = typeof id === 'string' ? ws.files.get(id) : undefined;
    // Slack cannot find a file whose bytes never reached the upload URL.
    if (!file || file.bytes === undefined || file.completed) throw new SlackApiError('file_not_found');
    return { file, title: typeof (f as Args).title === 'string' ? ((f as Args).title as string) : undefined };
  });
  const comment = str(args, 'initial_comment');
  for (const { file, title } of done) {
    file.completed = true;
    if (title) file.title = title;
    if (channel) file.channelId = channel;
    if (threadTs) file.threadTs = threadTs;
    if (comment) file.initialComment = comment;
  }
  if (channel) {
    ws.addMessage({
      channel,
      text: comment ?? '',
      subtype: 'file_share',
      files: done.map(({ file }) => ({ id: file.id, name: file.filename, ...(file.title ? { title: file.title } : {}) })),
      ...(threadTs ? { thread_ts: threadTs } : {}),
      ...botMessageFields(),
    });
  }
  return { files: done.map(({ file }) => ({ id: file.id, title: file.title ?? file.filename })) };
};

const replies: Handler = ({ ws, args, baseUrl }) => {
  const channel = channelArg({ ws, args, baseUrl });
  const ts = required(args, 'ts', 'thread_not_found');
  const thread = ws.thread(channel, ts);
  if (thread.length === 0) throw new SlackApiError('thread_not_found');
  const limit = Math.min(1000, Math.max(1, Number(args.limit ?? 1000) || 1000));
  const withMetadata = bool(args, 'include_all_metadata');
  const all = ws.channelMessages(channel);
  return {
    messages: thread.slice(0, limit).map((m) => apiMessage(m, all, withMetadata)),
    has_more: thread.length > limit,
    response_metadata: { next_cursor: '' },
  };
};

const viewsPublish: Handler = ({ ws, args }) => {
  const userId = required(args, 'user_id');
  if (!ws.users.has(userId)) throw new SlackApiError('invalid_arguments');
  const view = args.view;
  if (typeof view !== 'object' || view === null || (view as Args).type !== 'home') throw new SlackApiError('invalid_arguments');
  const issues = validateBlocks((view as Args).blocks, 'home', '/view/blocks');
  if (issues.length > 0) throw blocksError(issues, 'invalid_arguments');
  const pm = (view as Args).private_metadata;
  if (pm !== undefined && (typeof pm !== 'string' || pm.length > 3000)) throw new SlackApiError('invalid_arguments');
  const id = ws.homeViews.get(userId)?.id ?? ws.newId('V');
  ws.homeViews.set(userId, { id, view: view as Args });
  return { view: { id, team_id: FAKE_IDS.team, app_id: FAKE_IDS.app, bot_id: FAKE_IDS.bot, hash: `${Date.now()}.fake`, ...(view as Args) } };
};

const usersInfo: Handler = ({ ws, args }) => {
  const id = required(args, 'user', 'user_not_found');
  const u = ws.users.get(id);
  if (!u) throw new SlackApiError('user_not_found');
  const realName = u.realName ?? u.name;
  return {
    user: {
      id: u.id,
      team_id: FAKE_IDS.team,
      name: u.name,
      real_name: realName,
      deleted: false,
      is_bot: u.isBot ?? false,
      tz: u.tz ?? 'Europe/Berlin',
      profile: { real_name: realName, display_name: u.name },
    },
  };
};

const authTest: Handler = ({ baseUrl }) => ({
  url: `${baseUrl}/`,
  team: 'Fake Workspace',
  user: 'codex',
  team_id: FAKE_IDS.team,
  user_id: FAKE_IDS.botUser,
  bot_id: FAKE_IDS.bot,
  is_enterprise_install: false,
});

export const METHODS: Record<string, Handler> = {
  'auth.test': authTest,
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.postEphemeral': postEphemeral,
  'chat.getPermalink': getPermalink,
  'reactions.add': reactionsAdd,
  'reactions.remove': reactionsRemove,
  'files.getUploadURLExternal': getUploadURLExternal,
  'files.completeUploadExternal': completeUploadExternal,
  'conversations.replies': replies,
  'views.publish': viewsPublish,
  'users.info': usersInfo,
};

/** Arguments Slack takes as JSON text inside a form body. */
export const JSON_ARGS = new Set(['blocks', 'attachments', 'metadata', 'view', 'files', 'unfurls', 'chunks', 'code_channel', 'agent_resource', 'commands', 'csp']);
