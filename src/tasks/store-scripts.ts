/*
 * The Lua scripts behind TaskStore. Each runs atomically in Redis, so the app and any number of
 * workers can change one task at the same time without losing each other's writes, and every
 * event's sequence number matches its place in the stream.
 *
 * Events are spliced into the stream as text ('{"seq":N,' .. the rest), never decoded and
 * re-encoded here: Lua's cjson turns an empty array into an object.
 */

/** Lua: is the decoded record `cur` in a final status? Same set as FINAL_STATUSES (task-record.ts). */
const IS_FINAL = `local function is_final(cur) return cur.status == 'done' or cur.status == 'failed' or cur.status == 'cancelled' end`;

/**
 * Appends one event: stamps the next sequence number, adds it to the task's stream, marks the
 * task as having events to render, and announces it on the installation's activity stream.
 * KEYS: seq, events, activity, render-pending. ARGV: event JSON without `seq`, task id.
 */
const APPEND = `local function append(seqKey, eventsKey, activityKey, pendingKey, ev, taskId)
  local seq = redis.call('INCR', seqKey)
  redis.call('XADD', eventsKey, 'MAXLEN', '~', '5000', '*', 'e', '{"seq":' .. seq .. ',' .. string.sub(ev, 2))
  redis.call('SADD', pendingKey, taskId)
  redis.call('XADD', activityKey, 'MAXLEN', '~', '10000', '*', 't', taskId)
  return seq
end`;

export const APPEND_EVENT = `${APPEND}
return append(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2])`;

/**
 * APPEND_EVENT for a worker run: only while the record (KEYS[5]) still names run ARGV[3];
 * returns 0, appending nothing, once another run has superseded it.
 */
export const APPEND_EVENT_FENCED = `${APPEND}
local raw = redis.call('GET', KEYS[5])
if not raw or cjson.decode(raw).runId ~= ARGV[3] then return 0 end
return append(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2])`;

/**
 * Creates a task: the record (only if no task has that id), its first event, the owner's index
 * and the set of tasks that have not ended.
 * KEYS: record, seq, events, activity, render-pending, active, owner index, owner's queued set.
 * ARGV: record JSON, event JSON without seq, task id, created-at (epoch ms).
 */
export const CREATE_TASK = `${APPEND}
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
local seq = append(KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[6], ARGV[3])
redis.call('SADD', KEYS[8], ARGV[3])
redis.call('ZADD', KEYS[7], ARGV[4], ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[7], 0, -101)
return seq`;

/**
 * Changes a record when it passes a guard, and appends the event that says so, in one step.
 * guard: { turn?, runId?, ending?, statuses?, final? (true: only ended; false: only not ended) }.
 * patch: fields to set; JSON null removes a field. `updatedAt` is always set.
 * An ended task's keys expire after the retention period; one that runs again keeps them.
 * KEYS: record, seq, events, activity, render-pending, active, ops, conv.
 * ARGV: guard JSON, patch JSON, event JSON without seq (or ''), now (ISO), task id, retention (s), key prefix.
 * Returns { 1, record JSON, seq or 0 } or { 0, current record JSON or '' }.
 */
export const TRANSITION = `${IS_FINAL}
${APPEND}
local raw = redis.call('GET', KEYS[1])
if not raw then return { 0, '' } end
local cur = cjson.decode(raw)
local guard = cjson.decode(ARGV[1])
if guard.turn and cur.turn ~= guard.turn then return { 0, raw } end
if guard.runId and cur.runId ~= guard.runId then return { 0, raw } end
if guard.ending ~= nil and (cur.ending == true) ~= guard.ending then return { 0, raw } end
if guard.final ~= nil and is_final(cur) ~= guard.final then return { 0, raw } end
if guard.statuses then
  local ok = false
  for _, s in ipairs(guard.statuses) do if cur.status == s then ok = true end end
  if not ok then return { 0, raw } end
end
for k, v in pairs(cjson.decode(ARGV[2])) do
  if v == cjson.null then cur[k] = nil else cur[k] = v end
end
cur.updatedAt = ARGV[4]
local next = cjson.encode(cur)
redis.call('SET', KEYS[1], next)
local seq = 0
if ARGV[3] ~= '' then seq = append(KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[3], ARGV[5]) end
local keys = { KEYS[1], KEYS[2], KEYS[3], KEYS[7], KEYS[8], KEYS[8] .. ':items' }
if cur.threadTs then table.insert(keys, ARGV[7] .. ':thread:' .. cur.channel .. ':' .. cur.threadTs) end
for _, k in ipairs(keys) do
  if is_final(cur) then redis.call('EXPIRE', k, ARGV[6]) else redis.call('PERSIST', k) end
end
if is_final(cur) then redis.call('SREM', KEYS[6], ARGV[5]) else redis.call('SADD', KEYS[6], ARGV[5]) end
-- Each person's tasks waiting in the queue (the per-user cap counts them).
local queued = ARGV[7] .. ':owner:' .. cur.owner .. ':queued'
if cur.status == 'queued' then redis.call('SADD', queued, ARGV[5]) else redis.call('SREM', queued, ARGV[5]) end
return { 1, next, seq }`;

/** XADD ARGV[1] to the op stream KEYS[2] only while the record KEYS[1] is not ended. */
export const APPEND_OP_IF_RUNNING = `${IS_FINAL}
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
if is_final(cjson.decode(raw)) then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', '1000', '*', 'o', ARGV[1])
return 1`;

/**
 * Saves a conversation append-only: the meta (KEYS[1]) is replaced, and the items list
 * (KEYS[2]) gets ARGV[5..] appended when it holds exactly ARGV[3] items (ARGV[4] = 'append');
 * with ARGV[4] = 'whole' the list is rewritten from ARGV[5..]. ARGV[1], when not empty, is the
 * worker run saving: nothing is written unless the task record (KEYS[3]) names that run, so a
 * run that lost its turn (a lost lock) never overwrites what the run that took it over saved.
 * ARGV: run id, meta JSON, from index, mode, items as JSON strings….
 * Returns 1 when saved, 0 when an append found the list changed (send it whole), -1 when superseded.
 */
export const SAVE_CONVERSATION = `
if ARGV[1] ~= '' then
  local raw = redis.call('GET', KEYS[3])
  if not raw or cjson.decode(raw).runId ~= ARGV[1] then return -1 end
end
if ARGV[4] == 'append' and redis.call('LLEN', KEYS[2]) ~= tonumber(ARGV[3]) then return 0 end
if ARGV[4] == 'whole' then redis.call('DEL', KEYS[2]) end
redis.call('SET', KEYS[1], ARGV[2])
for i = 5, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
return 1`;
