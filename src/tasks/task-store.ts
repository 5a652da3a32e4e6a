import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  taskEventSchema,
  taskOpSchema,
  type ConversationStore,
  type SavedConversation,
  type TaskEvent,
  type TaskEventInput,
  type TaskOp,
  type TaskOpInput,
} from './protocol.js';
import { FINAL_STATUSES, taskRecordSchema, type TaskRecord } from './task-record.js';

/**
 * Task records, event streams, operation streams and saved conversations, in Redis.
 * Every value read back goes through its zod schema. Keys (all under one prefix):
 *   <p>:task:<id>            JSON task record
 *   <p>:task:<id>:seq        event sequence counter
 *   <p>:task:<id>:events     stream of task events (field `e`)
 *   <p>:task:<id>:ops        stream of operations (field `o`)
 *   <p>:task:<id>:conv       JSON saved conversation
 *   <p>:thread:<ch>:<ts>     id of the task whose thread this is
 *   <p>:seen:<key>           de-duplication marks (Slack event ids, …)
 */
export class TaskStore implements ConversationStore {
  constructor(
    readonly redis: Redis,
    readonly prefix = 'codex',
  ) {}

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  async createTask(record: TaskRecord): Promise<void> {
    const ok = await this.redis.set(this.key('task', record.id), JSON.stringify(taskRecordSchema.parse(record)), 'NX');
    if (ok !== 'OK') throw new Error(`task ${record.id} already exists`);
    const byOwner = this.key('owner', record.owner, 'tasks');
    await this.redis.multi().zadd(byOwner, Date.parse(record.createdAt), record.id).zremrangebyrank(byOwner, 0, -101).sadd(this.key('active'), record.id).exec();
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

  /** Applies a patch to the record and returns the result; `updatedAt` is set for you. */
  async updateTask(id: string, patch: Partial<TaskRecord>): Promise<TaskRecord> {
    const current = await this.getTask(id);
    if (!current) throw new Error(`task ${id} not found`);
    const next = taskRecordSchema.parse({ ...current, ...patch, id, updatedAt: new Date().toISOString() });
    await this.redis.set(this.key('task', id), JSON.stringify(next));
    await this.retain(next);
    return next;
  }

  /**
   * An ended task's keys expire after RETENTION_SEC (a follow-up can come within that time);
   * a task that runs again keeps them for as long as it runs. Redis does not grow for ever.
   */
  private async retain(task: TaskRecord): Promise<void> {
    const keys = [this.key('task', task.id), this.key('task', task.id, 'seq'), this.key('task', task.id, 'events'), this.key('task', task.id, 'ops'), this.key('task', task.id, 'conv')];
    if (task.threadTs) keys.push(this.key('thread', task.channel, task.threadTs));
    const tx = this.redis.multi();
    const ended = FINAL_STATUSES.has(task.status);
    for (const k of keys) {
      if (ended) tx.expire(k, RETENTION_SEC);
      else tx.persist(k);
    }
    if (ended) tx.srem(this.key('active'), task.id);
    else tx.sadd(this.key('active'), task.id);
    await tx.exec();
  }

  /**
   * Starts turn `fromTurn + 1` of an ended task, atomically: of two replies racing to follow up
   * the same ended turn, exactly one wins (the other should steer the new turn instead).
   * Returns the updated record, or undefined when the task is not at `fromTurn` or not ended.
   */
  async startNextTurn(id: string, fromTurn: number, turnPrompt: string, turnBy: string): Promise<TaskRecord | undefined> {
    // Operations sent before the new turn (to the ended one) must not reach it, e.g. a late cancel.
    const opCursor = await this.lastOpId(id);
    const current = await this.getTask(id);
    if (!current || current.turn !== fromTurn || !FINAL_STATUSES.has(current.status)) return undefined;
    const { error: _error, endedAt: _endedAt, startedAt: _startedAt, ...rest } = current;
    const next = taskRecordSchema.parse({ ...rest, turn: fromTurn + 1, turnPrompt, turnBy, opCursor, status: 'queued', updatedAt: new Date().toISOString() });
    const swapped = await this.redis.eval(START_NEXT_TURN, 1, this.key('task', id), String(fromTurn), JSON.stringify(next));
    if (swapped !== 1) return undefined;
    await this.retain(next);
    return next;
  }

  async deleteTask(id: string): Promise<void> {
    const task = await this.getTask(id);
    const keys = [this.key('task', id), this.key('task', id, 'seq'), this.key('task', id, 'events'), this.key('task', id, 'ops'), this.key('task', id, 'conv')];
    if (task?.threadTs) keys.push(this.key('thread', task.channel, task.threadTs));
    await this.redis.del(...keys);
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
    const seq = await this.redis.incr(this.key('task', taskId, 'seq'));
    const event = taskEventSchema.parse({ ...input, taskId, seq, at: new Date().toISOString() });
    await this.redis.xadd(this.key('task', taskId, 'events'), 'MAXLEN', '~', '5000', '*', 'e', JSON.stringify(event));
    return event;
  }

  async readEvents(taskId: string): Promise<TaskEvent[]> {
    const entries = await this.redis.xrange(this.key('task', taskId, 'events'), '-', '+');
    return entries.map(([, fields]) => taskEventSchema.parse(JSON.parse(fieldValue(fields, 'e'))));
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
    const raw = await this.redis.get(this.key('task', taskId, 'conv'));
    if (raw === null) return undefined;
    const parsed = JSON.parse(raw) as SavedConversation;
    if (!Array.isArray(parsed.items) || typeof parsed.lastSeq !== 'number') return undefined;
    return parsed;
  }

  async save(taskId: string, conversation: SavedConversation): Promise<void> {
    await this.redis.set(this.key('task', taskId, 'conv'), JSON.stringify(conversation));
  }
}

/** How long an ended task is kept: its thread can be followed up until then. */
export const RETENTION_SEC = 30 * 24 * 3600;

/** Lua: is the decoded task record `cur` in a final status? (Same set as FINAL_STATUSES.) */
const IS_FINAL = `local function is_final(cur) return cur.status == 'done' or cur.status == 'failed' or cur.status == 'cancelled' end`;

/** SET the record KEYS[1] to ARGV[2] only while it is still at turn ARGV[1] and ended. */
const START_NEXT_TURN = `${IS_FINAL}
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local cur = cjson.decode(raw)
if cur.turn == tonumber(ARGV[1]) and is_final(cur) then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** XADD ARGV[1] to the op stream KEYS[2] only while the record KEYS[1] is not ended. */
const APPEND_OP_IF_RUNNING = `${IS_FINAL}
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
if is_final(cjson.decode(raw)) then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', '1000', '*', 'o', ARGV[1])
return 1
`;

function fieldValue(fields: string[], name: string): string {
  const i = fields.indexOf(name);
  if (i < 0 || i + 1 >= fields.length) throw new Error(`stream entry without field ${name}`);
  return fields[i + 1]!;
}
