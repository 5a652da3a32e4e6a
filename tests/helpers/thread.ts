import { userMessages, type RecordedRequest, type ScriptReply } from '../fakes/model-server.js';
import type { FakeFileObject, FakeMessage } from '../fakes/slack-server.js';
import { messageEvent } from '../fakes/slack-signing.js';
import type { TaskEvent } from '../../src/tasks/protocol.js';
import type { TaskRecord, TaskStatus } from '../../src/tasks/task-record.js';
import { FAKE_IDS, slash, type E2E } from './e2e.js';

/*
 * Helpers of the thread conversation tests (tests/e2e/thread-*.test.ts): start a task, reply
 * in its thread as a person, click its buttons, and wait on its events and its card.
 */

/** Everything a person reads in a message: blocks and fallback text. */
export const shown = (m: { text: string; blocks?: unknown[] }) => JSON.stringify(m.blocks ?? []) + m.text;

/** Starts a task with `/codex task <prompt>` (as `user`, in `channel`) and returns its id and status card. */
export async function startTask(e: E2E, prompt: string, fields: { user_id?: string; channel_id?: string } = {}): Promise<{ taskId: string; card: FakeMessage }> {
  const channel = fields.channel_id ?? FAKE_IDS.channel;
  const before = new Set(e.fake.messages(channel).map((m) => m.ts));
  const ack = await slash(e, `task ${prompt}`, fields);
  if (ack.status !== 200) throw new Error(`/codex task answered ${ack.status}: ${ack.body}`);
  const card = await e.fake.waitFor(() => e.fake.messages(channel).find((m) => !before.has(m.ts) && m.metadata?.event_type === 'codex_task_status'), 10_000);
  return { taskId: card.metadata!.event_payload.task_id as string, card };
}

/** The current text of a message, and every version it had, oldest first. */
export function versions(e: E2E, channel: string, ts: string): string[] {
  const m = e.fake.message(channel, ts);
  if (!m) throw new Error(`no message ${ts} in ${channel}`);
  return [...m.history, m].map(shown);
}

export function current(e: E2E, channel: string, ts: string): string {
  return versions(e, channel, ts).at(-1)!;
}

/** Waits until the message (a status card) reads `text`. */
export function waitShows(e: E2E, channel: string, ts: string, text: string | RegExp, timeoutMs = 20_000): Promise<string> {
  return e.fake.waitFor(() => {
    const now = current(e, channel, ts);
    return (typeof text === 'string' ? now.includes(text) : text.test(now)) && now;
  }, timeoutMs);
}

/** Waits for the first event of `type` (matching `where`) in the task's event stream. */
export function waitEvent<T extends TaskEvent['type']>(e: E2E, taskId: string, type: T, where: (ev: Extract<TaskEvent, { type: T }>) => boolean = () => true, timeoutMs = 30_000): Promise<Extract<TaskEvent, { type: T }>> {
  return e.fake.waitFor(async () => {
    const events = await e.store.readEvents(taskId);
    return events.find((ev): ev is Extract<TaskEvent, { type: T }> => ev.type === type && where(ev as Extract<TaskEvent, { type: T }>));
  }, timeoutMs);
}

export function waitStatus(e: E2E, taskId: string, status: TaskStatus, timeoutMs = 60_000): Promise<TaskRecord> {
  return e.fake.waitFor(async () => {
    const t = await e.store.getTask(taskId);
    return t?.status === status && t;
  }, timeoutMs);
}

/** A person's reply in a thread: stored in the fake (so conversations.replies serves it) and delivered as a `message` event. */
export async function replyInThread(e: E2E, threadTs: string, user: string, text: string, options: { channel?: string; eventId?: string; files?: FakeFileObject[] } = {}): Promise<FakeMessage> {
  const m = e.fake.injectMessage({ channel: options.channel ?? FAKE_IDS.channel, user, text, thread_ts: threadTs, ...(options.files ? { files: options.files } : {}) });
  const res = await e.sender.event(messageEvent(m), options.eventId ? { eventId: options.eventId } : {});
  if (res.status !== 200) throw new Error(`message event answered ${res.status}: ${res.body}`);
  return m;
}

/** Names of the reactions on a message. */
export function reactions(e: E2E, channel: string, ts: string): string[] {
  return (e.fake.message(channel, ts)?.reactions ?? []).map((r) => r.name);
}

/** Ephemeral messages shown to `user`, as text. */
export function ephemeralsFor(e: E2E, user: string): string[] {
  return e.fake.ephemerals.filter((x) => x.user === user).map(shown);
}

/** The value of the first button with `actionId` in a message's blocks. */
export function buttonValue(m: { blocks?: unknown[] }, actionId: string): string {
  for (const block of (m.blocks ?? []) as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>) {
    const found = block.elements?.find((el) => el.action_id === actionId);
    if (found?.value) return found.value;
  }
  throw new Error(`no ${actionId} button in ${JSON.stringify(m.blocks)}`);
}

/** The newest version of a message that showed the button `actionId` (the message itself if none did). */
function withButton(m: FakeMessage, actionId: string): { text: string; blocks?: unknown[] } {
  return [m, ...[...m.history].reverse()].find((v) => JSON.stringify(v.blocks ?? []).includes(`"action_id":"${actionId}"`)) ?? m;
}

/**
 * Clicks a button of a message in a task's thread (or a root card). Like a person looking at a
 * stale copy of the message, it may click a button the message no longer shows: the newest
 * version that had the button is used.
 */
export async function click(e: E2E, m: FakeMessage, actionId: string, user: string): Promise<void> {
  // A person clicks what the message shows: wait (briefly) until some version of it has the button.
  const has = (v: { blocks?: unknown[] }) => JSON.stringify(v.blocks ?? []).includes(`"action_id":"${actionId}"`);
  const seen = await e.fake
    .waitFor(() => {
      const v = withButton(e.fake.message(m.channel, m.ts) ?? m, actionId);
      return has(v) && v;
    }, 10_000)
    .catch(() => withButton(m, actionId));
  const res = await e.sender.blockAction({ actionId, value: buttonValue(seen, actionId), messageTs: m.ts, threadTs: m.thread_ts, channelId: m.channel, userId: user, message: { text: seen.text, blocks: seen.blocks } });
  if (res.status !== 200) throw new Error(`click answered ${res.status}: ${res.body}`);
}

/**
 * Waits for the `n`-th approval prompt (0 first) in a thread, and for its link to be stored:
 * the reporter stores it just after posting, and a click that lands in between (faster than any
 * person) is refused as closed.
 */
export async function waitApprovalPrompt(e: E2E, channel: string, threadTs: string, n: number, timeoutMs = 20_000): Promise<FakeMessage> {
  const prompt = await e.fake.waitFor(() => e.fake.thread(channel, threadTs).filter((m) => m.metadata?.event_type === 'codex_task_approval')[n], timeoutMs);
  const { a } = JSON.parse(buttonValue(withButton(prompt, 'codex_approve'), 'codex_approve')) as { a: string };
  await e.fake.waitFor(async () => (await e.redis.exists(`${e.prefix}:approval:${a}`)) === 1, 15_000);
  return prompt;
}

/** Everything the user said in a request, as one text. */
export const userText = (req: RecordedRequest) => userMessages(req).join('\n---\n');

/** The model requests of the task whose first message holds `key` (its prompt), oldest first. */
export function requestsOf(e: E2E, key: string): RecordedRequest[] {
  return e.model.requests.filter((r) => (userMessages(r)[0] ?? '').includes(key));
}

/**
 * A model script for several tasks running at once: each request goes to the handler whose
 * key is in the request's first user message (the task's prompt), with that task's own
 * request number (0 for its first request).
 */
export function scriptByPrompt(handlers: Record<string, (req: RecordedRequest, n: number) => ScriptReply | Promise<ScriptReply>>) {
  const counts = new Map<string, number>();
  return (req: RecordedRequest): ScriptReply | Promise<ScriptReply> => {
    const first = userMessages(req)[0] ?? '';
    const key = Object.keys(handlers).find((k) => first.includes(k));
    if (!key) throw new Error(`no script for a task whose first message is ${JSON.stringify(first.slice(0, 200))}`);
    const n = counts.get(key) ?? 0;
    counts.set(key, n + 1);
    return handlers[key]!(req, n);
  };
}
