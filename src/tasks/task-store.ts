import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CodexError } from '../errors.js';
import {
  attachmentsSchema,
  savedConversationSchema,
  taskEventSchema,
  taskOpSchema,
  type AttachmentStore,
  type Attachments,
  type ConversationStore,
  type SavedConversation,
  type TaskEvent,
  type TaskEventInput,
  type TaskOp,
  type TaskOpInput,
} from './protocol.js';
import { APPEND_EVENT, APPEND_EVENT_FENCED, APPEND_OP_IF_RUNNING, CREATE_TASK, SAVE_CONVERSATION, TRANSITION } from './store-scripts.js';
import { taskRecordSchema, type TaskRecord } from './task-record.js';

/** A message's attachments outlive any turn they could reach (they are read at the next step). */
const ATTACHMENTS_TTL_SEC = 24 * 3600;

/** Which records a transition may change: at this turn, in one of these statuses, ended or not. */
export interface TransitionGuard {
  turn?: number;
  /** Only while this run owns the turn (TaskRecord.runId). */
  runId?: string;
  /** Only while the turn's final event is (true) or is not (false) written ahead of its status. */
  ending?: boolean;
  statuses?: TaskRecord['status'][];
  final?: boolean;
}

/** Fields a transition sets; `null` removes an optional field. */
export type RecordPatch = { [K in keyof TaskRecord]?: TaskRecord[K] | null };

/** Record fields that are not lifecycle state, which any side may set at any time. */
export type DetailPatch = Omit<RecordPatch, 'status' | 'turn' | 'id' | 'turnPrompt' | 'turnBy' | 'opCursor' | 'startedAt' | 'endedAt' | 'error'>;

/**
 * Task records, event streams, operation streams, saved conversations and diffs, in Redis.
 * Every value read back goes through its zod schema. Status and turn change only through
 * `transition` (called by TaskLifecycle alone), atomically with the event that says so.
 * Keys (all under one prefix):
 *   <p>:task:<id>              JSON task record
 *   <p>:task:<id>:seq          event sequence counter
 *   <p>:task:<id>:events       stream of task events (field `e`)
 *   <p>:task:<id>:ops          stream of operations (field `o`)
 *   <p>:task:<id>:conv         saved conversation: JSON meta (turn, usage, last event seq)
 *   <p>:task:<id>:conv:items   its Responses API input items, a list only ever appended to
 *   <p>:task:<id>:diff:<turn>  the diff a turn committed (referenced by its task_completed)
 *   <p>:thread:<ch>:<ts>       id of the task whose thread this is
 *   <p>:activity               stream of task ids, one entry per event appended (renderers wake on it)
 *   <p>:render-pending         ids of tasks whose newest events may not be rendered yet
 *   <p>:active                 ids of tasks that have not ended
 *   <p>:owner:<u>:tasks        a person's newest tasks (sorted by creation)
 *   <p>:owner:<u>:queued       a person's tasks waiting in the queue
 *   <p>:seen:<key>             de-duplication marks (Slack event ids, …)
 */
export class TaskStore implements ConversationStore, AttachmentStore {
  constructor(
    readonly redis: Redis,
    readonly prefix = 'codex',
  ) {}

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  private eventKeys(taskId: string): string[] {
    return [this.key('task', taskId, 'seq'), this.key('task', taskId, 'events'), this.key('activity'), this.key('render-pending')];
  }

  /** Writes a new record and its first event; throws when a task with that id exists. */
  async createTask(record: TaskRecord, first: TaskEventInput): Promise<TaskEvent> {
    const parsed = taskRecordSchema.parse(record);
    const { json, event } = this.stampEvent(record.id, first);
    const seq = await this.redis.eval(CREATE_TASK, 8, this.key('task', record.id), ...this.eventKeys(record.id), this.key('active'), this.key('owner', record.owner, 'tasks'), this.key('owner', record.owner, 'queued'), JSON.stringify(parsed), json, record.id, String(Date.parse(record.createdAt)));
    if (seq === 0) throw new Error(`task ${record.id} already exists`);
    return { ...event, seq: Number(seq) };
  }

  /** How many of `owner`'s tasks wait in the queue (the per-user cap, limits.maxQueuedTasksPerUser). */
  async queuedCountOf(owner: string): Promise<number> {
    return this.redis.scard(this.key('owner', owner, 'queued'));
  }

  /** Ids of tasks that have not ended (for the worker's sweep of abandoned tasks). */
  async activeTaskIds(): Promise<string[]> {
    return this.redis.smembers(this.key('active'));
  }

  /** The newest tasks `owner` started, newest first (ids whose records are gone are skipped). */
  async tasksOf(owner: string, count = 10): Promise<TaskRecord[]> {
    const ids = await this.redis.zrevrange(this.key('owner', owner, 'tasks'), 0, count - 1);
    const tasks = await Promise.all(ids.map((id) => this.getTask(id).catch(() => undefined)));
    return tasks.filter((t): t is TaskRecord => t !== undefined);
  }

  async getTask(id: string): Promise<TaskRecord | undefined> {
    const raw = await this.redis.get(this.key('task', id));
    if (raw === null) return undefined;
    return taskRecordSchema.parse(JSON.parse(raw));
  }

  /**
   * Applies `patch` to the record if it passes `guard`, and appends `event` with it, atomically.
   * Returns the new record and the stamped event, or undefined (with nothing written) when the
   * record is missing or fails the guard. Only TaskLifecycle changes status and turn this way.
   */
  async transition(id: string, guard: TransitionGuard, patch: RecordPatch, event?: TaskEventInput): Promise<{ task: TaskRecord; event?: TaskEvent } | undefined> {
    const stamped = event ? this.stampEvent(id, event) : undefined;
    const now = new Date().toISOString();
    const reply = (await this.redis.eval(
      TRANSITION,
      8,
      this.key('task', id),
      ...this.eventKeys(id),
      this.key('active'),
      this.key('task', id, 'ops'),
      this.key('task', id, 'conv'),
      JSON.stringify(guard),
      JSON.stringify(patch, (_k, v: unknown) => (v === undefined ? null : v)),
      stamped?.json ?? '',
      now,
      id,
      String(RETENTION_SEC),
      this.prefix,
    )) as [number, string, number?];
    if (reply[0] !== 1) return undefined;
    const task = taskRecordSchema.parse(JSON.parse(reply[1]));
    return { task, event: stamped ? { ...stamped.event, seq: Number(reply[2]) } : undefined };
  }

  /** Sets record fields that are not lifecycle state (the card's ts, auto-push), atomically. */
  async patchTask(id: string, patch: DetailPatch): Promise<TaskRecord | undefined> {
    return (await this.transition(id, {}, patch))?.task;
  }

  async deleteTask(id: string): Promise<void> {
    const task = await this.getTask(id);
    const keys = ['', 'seq', 'events', 'ops', 'conv', 'conv:items', 'rendered', 'render-lease', 'render-inflight'].map((k) => (k ? this.key('task', id, k) : this.key('task', id)));
    if (task?.threadTs) keys.push(this.key('thread', task.channel, task.threadTs));
    const tx = this.redis.multi().del(...keys).srem(this.key('active'), id).srem(this.key('render-pending'), id);
    if (task) tx.srem(this.key('owner', task.owner, 'queued'), id);
    await tx.exec();
  }

  async linkThread(channel: string, threadTs: string, taskId: string): Promise<void> {
    await this.redis.set(this.key('thread', channel, threadTs), taskId);
  }

  async taskForThread(channel: string, threadTs: string): Promise<string | undefined> {
    return (await this.redis.get(this.key('thread', channel, threadTs))) ?? undefined;
  }

  /**
   * Marks `key` as seen for `ttlSec`; returns true only the first time. Used to drop Slack's
   * retried deliveries of the same event.
   */
  async markSeen(key: string, ttlSec = 3600): Promise<boolean> {
    return (await this.redis.set(this.key('seen', key), '1', 'EX', ttlSec, 'NX')) === 'OK';
  }

  /** Stamps an event with the next sequence number and time, and appends it to the task's stream. */
  async appendEvent(taskId: string, input: TaskEventInput): Promise<TaskEvent> {
    const { json, event } = this.stampEvent(taskId, input);
    const seq = await this.redis.eval(APPEND_EVENT, 4, ...this.eventKeys(taskId), json, taskId);
    return { ...event, seq: Number(seq) };
  }

  /** appendEvent for worker run `runId`: undefined, and nothing appended, once another run owns the turn. */
  async appendRunEvent(taskId: string, runId: string, input: TaskEventInput): Promise<TaskEvent | undefined> {
    const { json, event } = this.stampEvent(taskId, input);
    const seq = await this.redis.eval(APPEND_EVENT_FENCED, 5, ...this.eventKeys(taskId), this.key('task', taskId), json, taskId, runId);
    return seq === 0 ? undefined : { ...event, seq: Number(seq) };
  }

  /** Validates an event (with a placeholder sequence number) and returns its JSON without `seq`. */
  private stampEvent(taskId: string, input: TaskEventInput): { json: string; event: TaskEvent } {
    const event = taskEventSchema.parse({ ...input, taskId, seq: 1, at: new Date().toISOString() });
    const { seq: _seq, ...rest } = event;
    return { json: JSON.stringify(rest), event };
  }

  /** The task's events after stream id `after` ('-' for all), with their stream ids. */
  async readEventEntries(taskId: string, after = '-'): Promise<Array<{ id: string; event: TaskEvent }>> {
    const entries = await this.redis.xrange(this.key('task', taskId, 'events'), after === '-' ? '-' : `(${after}`, '+');
    return entries.map(([id, fields]) => ({ id, event: taskEventSchema.parse(JSON.parse(fieldValue(fields, 'e'))) }));
  }

  async readEvents(taskId: string): Promise<TaskEvent[]> {
    return (await this.readEventEntries(taskId)).map((e) => e.event);
  }

  /** Stores the diff a turn committed; it is kept as long as an ended task is. */
  async saveDiff(taskId: string, turn: number, diff: string): Promise<void> {
    await this.redis.set(this.key('task', taskId, 'diff', String(turn)), diff, 'EX', RETENTION_SEC);
  }

  async readDiff(taskId: string, turn: number): Promise<string | undefined> {
    return (await this.redis.get(this.key('task', taskId, 'diff', String(turn)))) ?? undefined;
  }

  /** Appends an operation for a running task; returns it as stored. */
  async appendOp(taskId: string, input: TaskOpInput): Promise<TaskOp> {
    const op = taskOpSchema.parse({ ...input, taskId, opId: input.opId ?? randomUUID(), at: new Date().toISOString() });
    await this.redis.xadd(this.key('task', taskId, 'ops'), 'MAXLEN', '~', '1000', '*', 'o', JSON.stringify(op));
    return op;
  }

  /**
   * Appends an operation only while the task has not ended, atomically with that check: the
   * worker marks a task ended before it collects unread steering, so an operation is either
   * seen by that collection or refused here (and the caller starts a follow-up instead).
   */
  async appendOpIfRunning(taskId: string, input: TaskOpInput): Promise<TaskOp | undefined> {
    const op = taskOpSchema.parse({ ...input, taskId, opId: input.opId ?? randomUUID(), at: new Date().toISOString() });
    const added = await this.redis.eval(APPEND_OP_IF_RUNNING, 2, this.key('task', taskId), this.key('task', taskId, 'ops'), JSON.stringify(op));
    return added === 1 ? op : undefined;
  }

  /** Stores a message's attachments for a day (ATTACHMENTS_TTL_SEC); returns their id. */
  async saveAttachments(attachments: Attachments): Promise<string> {
    const id = randomUUID();
    await this.redis.set(this.key('attachments', id), JSON.stringify(attachmentsSchema.parse(attachments)), 'EX', ATTACHMENTS_TTL_SEC);
    return id;
  }

  async loadAttachments(id: string): Promise<Attachments | undefined> {
    const raw = await this.redis.get(this.key('attachments', id));
    const parsed = raw === null ? undefined : attachmentsSchema.safeParse(JSON.parse(raw));
    return parsed?.success ? parsed.data : undefined;
  }

  /** Operations after stream id `after` ('0' for all), with their stream ids. */
  async readOps(taskId: string, after: string, block?: { redis: Redis; ms: number }): Promise<Array<{ id: string; op: TaskOp }>> {
    const key = this.key('task', taskId, 'ops');
    const reply = block
      ? await block.redis.xread('BLOCK', block.ms, 'STREAMS', key, after)
      : await this.redis.xread('STREAMS', key, after);
    if (!reply) return [];
    const out: Array<{ id: string; op: TaskOp }> = [];
    for (const [, entries] of reply) {
      for (const [id, fields] of entries) {
        const parsed = taskOpSchema.safeParse(JSON.parse(fieldValue(fields, 'o')));
        if (parsed.success) out.push({ id, op: parsed.data });
      }
    }
    return out;
  }

  /** The id of the newest operation, so a new turn only sees operations sent after it starts. */
  async lastOpId(taskId: string): Promise<string> {
    const last = await this.redis.xrevrange(this.key('task', taskId, 'ops'), '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '0';
  }

  async load(taskId: string): Promise<SavedConversation | undefined> {
    const [meta, items] = await Promise.all([this.redis.get(this.key('task', taskId, 'conv')), this.redis.lrange(this.key('task', taskId, 'conv', 'items'), 0, -1)]);
    if (meta === null) return undefined;
    const parsed = savedConversationSchema.safeParse({ ...(JSON.parse(meta) as object), items: items.map((i) => JSON.parse(i) as unknown) });
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * Saves a conversation append-only (it only ever grows): its meta is replaced and the items
   * after `fromIndex` appended, so a step costs what it added, not the whole history. If the
   * stored list does not hold exactly `fromIndex` items, it is written whole.
   */
  async save(taskId: string, conversation: SavedConversation, fromIndex = 0, runId = ''): Promise<void> {
    const { items, ...rest } = savedConversationSchema.parse(conversation);
    const keys = [this.key('task', taskId, 'conv'), this.key('task', taskId, 'conv', 'items'), this.key('task', taskId)];
    const meta = JSON.stringify(rest);
    const json = (from: number) => items.slice(from).map((i) => JSON.stringify(i));
    const from = Math.min(fromIndex, items.length);
    let saved = await this.redis.eval(SAVE_CONVERSATION, 3, ...keys, runId, meta, String(from), 'append', ...json(from));
    if (saved === 0) saved = await this.redis.eval(SAVE_CONVERSATION, 3, ...keys, runId, meta, '0', 'whole', ...json(0));
    if (saved === -1) throw new CodexError('run_superseded', `task ${taskId}: another worker run took over this turn; its conversation was not saved`);
  }

  /** The conversation store of worker run `runId`: its saves are dropped (and throw `run_superseded`) once another run owns the turn. */
  forRun(runId: string): ConversationStore {
    return { load: (taskId) => this.load(taskId), save: (taskId, conversation, fromIndex) => this.save(taskId, conversation, fromIndex, runId) };
  }
}

/** How long an ended task is kept: its thread can be followed up until then. */
export const RETENTION_SEC = 30 * 24 * 3600;

function fieldValue(fields: string[], name: string): string {
  const i = fields.indexOf(name);
  if (i < 0 || i + 1 >= fields.length) throw new Error(`stream entry without field ${name}`);
  return fields[i + 1]!;
}
