import { z } from 'zod';

/*
 * The task protocol: the only things that cross between the worker (which runs the agent)
 * and any front end (Slack, a CLI, a test). The worker appends task events; front ends render
 * them and send operations. Both are stored in Redis and zod-checked whenever read back.
 */

const base = {
  taskId: z.string().min(1),
  /** Strictly increasing per task, starting at 1; lets a renderer drop stale or repeated events. */
  seq: z.number().int().min(1),
  /** ISO-8601 time the event was emitted. */
  at: z.string(),
};

export const planStepSchema = z.object({
  step: z.string().min(1),
  status: z.enum(['pending', 'in_progress', 'completed']),
});
export type PlanStep = z.infer<typeof planStepSchema>;

/** One changed file. Binary files have no line counts. The one diff stat of the project: the runner computes it. */
export const fileChangeSchema = z.object({
  path: z.string(),
  /** Set when git detected a rename or copy. */
  oldPath: z.string().optional(),
  binary: z.boolean().optional(),
  added: z.number().int().min(0),
  removed: z.number().int().min(0),
});
export type FileChange = z.infer<typeof fileChangeSchema>;

export const diffStatSchema = z.object({
  files: z.array(fileChangeSchema),
  added: z.number().int().min(0),
  removed: z.number().int().min(0),
});
export type DiffStat = z.infer<typeof diffStatSchema>;

export const approvalKindSchema = z.enum(['command', 'network', 'patch', 'push']);
export type ApprovalKind = z.infer<typeof approvalKindSchema>;

export const approvalDecisionSchema = z.enum(['accept', 'accept_for_task', 'decline']);
export type ApprovalDecision = z.infer<typeof approvalDecisionSchema>;

export const tokenUsageSchema = z.object({
  inputTokens: z.number().int().min(0),
  cachedInputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
});
export type TokenUsage = z.infer<typeof tokenUsageSchema>;

/** What the root status card shows from the start; carried by `task_created`. */
export const taskFactsSchema = z.object({
  repo: z.string(),
  branch: z.string(),
  baseBranch: z.string(),
  prompt: z.string(),
  owner: z.string(),
  model: z.string(),
  mode: z.enum(['task', 'plan', 'review']),
  /** The automation that started this task (`/codex schedule`). */
  automation: z.object({ id: z.string(), cron: z.string() }).optional(),
});
export type TaskFacts = z.infer<typeof taskFactsSchema>;

/** One finding of a review: where, how severe, what. */
export const reviewFindingSchema = z.object({
  severity: z.enum(['high', 'medium', 'low']),
  file: z.string(),
  line: z.number().int().min(1).optional(),
  title: z.string(),
  body: z.string().default(''),
});
export type ReviewFinding = z.infer<typeof reviewFindingSchema>;

/** What a completed turn produced: `turn_summarized` and `task_completed` carry the same. */
const turnResult = {
  summary: z.string(),
  diffStat: diffStatSchema,
  branch: z.string(),
  commit: z.string().optional(),
  /** The turn's diff is stored beside the events (TaskStore.readDiff(taskId, turn)); absent when nothing changed. */
  diff: z.object({ turn: z.number().int().min(1), bytes: z.number().int().min(0) }).optional(),
  /** Set when a budget ended the task early. */
  budget: z.enum(['steps', 'time', 'tokens']).optional(),
  /** The repo is on a code host: the summary may offer to open a pull request. */
  codeHost: z.enum(['github']).optional(),
};

export const taskEventSchema = z.discriminatedUnion('type', [
  /** The task exists and waits for a worker (written with the record, before Slack is answered). */
  z.object({ ...base, type: z.literal('task_created'), facts: taskFactsSchema }),
  /** A reply started turn `turn` of an ended task; it waits for a worker. */
  z.object({ ...base, type: z.literal('turn_queued'), turn: z.number().int().min(2), prompt: z.string(), by: z.string() }),
  /** Turn `turn` could not be queued after all; the task is back where it was before `turn_queued`. */
  z.object({ ...base, type: z.literal('turn_withdrawn'), turn: z.number().int().min(2) }),
  /** The turn waits for a free slot (limits.maxRunningTasks / maxRunningTasksPerUser); `place` 1 is next. */
  z.object({ ...base, type: z.literal('turn_waiting'), turn: z.number().int().min(1), place: z.number().int().min(1) }),
  /** A worker took the turn: it prepares the checkout and the sandbox. */
  z.object({ ...base, type: z.literal('turn_starting'), turn: z.number().int().min(1) }),
  /** The sandbox is up and the agent starts working. */
  z.object({ ...base, type: z.literal('task_started'), model: z.string(), repo: z.string(), branch: z.string(), turn: z.number().int().min(1).default(1) }),
  z.object({ ...base, type: z.literal('plan_updated'), steps: z.array(planStepSchema), explanation: z.string().optional() }),
  /** Narration the model writes between steps. */
  z.object({ ...base, type: z.literal('agent_message'), text: z.string() }),
  z.object({ ...base, type: z.literal('command_started'), callId: z.string(), command: z.string() }),
  z.object({
    ...base,
    type: z.literal('command_finished'),
    callId: z.string(),
    command: z.string(),
    exitCode: z.number().int(),
    durationMs: z.number().min(0),
    timedOut: z.boolean(),
    /** The last lines of stdout and stderr, already capped for display. */
    outputTail: z.string(),
  }),
  /** The model used the hosted web_search tool (search, open a page, find in a page); nothing ran in the sandbox. */
  z.object({ ...base, type: z.literal('web_search'), callId: z.string(), action: z.enum(['search', 'open_page', 'find_in_page']), detail: z.string(), ok: z.boolean() }),
  /** A model call failed in a way a retry can help (5xx, 429, connection): the turn waits `retryInMs` and tries again, within its time budget. */
  z.object({ ...base, type: z.literal('model_retrying'), attempt: z.number().int().min(1), retryInMs: z.number().int().min(0), reason: z.string() }),
  /** A SKILL.md whose front matter is not valid was skipped (emitted each turn; the thread shows it once). */
  z.object({ ...base, type: z.literal('skill_invalid'), path: z.string(), problem: z.string() }),
  z.object({ ...base, type: z.literal('files_changed'), files: z.array(fileChangeSchema) }),
  z.object({
    ...base,
    type: z.literal('approval_requested'),
    approvalId: z.string(),
    kind: approvalKindSchema,
    command: z.string().optional(),
    reason: z.string().optional(),
    diffStat: diffStatSchema.optional(),
    /** Where the command runs (`/workspace/…`). */
    workdir: z.string().optional(),
    /** Every reason the policy asks (one per need); "Approve for this task" grants them all. */
    needs: z.array(z.string()).optional(),
    /** When no decision has come by then, the request counts as declined. */
    expiresAt: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal('approval_resolved'),
    approvalId: z.string(),
    decision: approvalDecisionSchema,
    /** Slack user id of who decided; absent when the request timed out. */
    by: z.string().optional(),
    timedOut: z.boolean().default(false),
  }),
  /** The agent asked the people in the thread (ask_people): up to five choices, or free text. */
  z.object({ ...base, type: z.literal('question_asked'), questionId: z.string(), question: z.string(), choices: z.array(z.string()).max(5).default([]), /** With no answer by then, the agent goes on with its best judgment. */ expiresAt: z.string() }),
  /** The question's one outcome: the first answer (a button or a reply), or none in time (`timedOut`). */
  z.object({ ...base, type: z.literal('question_answered'), questionId: z.string(), answer: z.string().optional(), by: z.string().optional(), timedOut: z.boolean().default(false) }),
  z.object({ ...base, type: z.literal('steering_received'), opId: z.string(), text: z.string(), by: z.string() }),
  z.object({ ...base, type: z.literal('steering_applied'), opIds: z.array(z.string()) }),
  /**
   * The conversation was compacted before the next model request (src/agent/compaction.ts):
   * `tokensBefore` is the input of the response that reached `budgets.compactAtTokens`,
   * `tokensAfter` the estimated input of the compacted conversation. `method`: the Responses
   * API's compact endpoint, or a hand-off summary the model wrote in-band.
   */
  z.object({ ...base, type: z.literal('context_compacted'), tokensBefore: z.number().int().min(0), tokensAfter: z.number().int().min(0), method: z.enum(['endpoint', 'summary']) }),
  /** Cumulative for the task so far; `model`: the model that served the latest response, as it named itself. */
  z.object({ ...base, type: z.literal('token_usage'), usage: tokenUsageSchema, model: z.string().optional() }),
  /** The current step was stopped; the task waits for the next instruction. */
  z.object({ ...base, type: z.literal('task_interrupted'), by: z.string().optional() }),
  z.object({ ...base, type: z.literal('task_completed'), ...turnResult }),
  /**
   * A turn's result, once committed and before anything is pushed: the summary and the diff go
   * to the thread first, so a push approval can be judged on them. `task_completed` follows.
   */
  z.object({
    ...base,
    type: z.literal('turn_summarized'),
    ...turnResult,
    /** The turn opens (or updates) its pull request itself (`--pr`, autoPullRequest, one already open): no button for it. */
    autoPullRequest: z.boolean().optional(),
  }),
  /** The task's pull request was opened (by a click, `--pr` or the repo's autoPullRequest). */
  z.object({ ...base, type: z.literal('pull_request_opened'), number: z.number().int().min(1), url: z.string(), branch: z.string(), draft: z.boolean().default(false), by: z.string().optional(), /** The commit pushed with it (no separate `branch_pushed`). */ commit: z.string().optional() }),
  /** A later turn was pushed to the open pull request and commented on it. */
  z.object({ ...base, type: z.literal('pull_request_updated'), number: z.number().int().min(1), url: z.string(), commit: z.string() }),
  /** The pull request was closed or merged on the code host since it was opened; nothing was pushed to it. */
  z.object({ ...base, type: z.literal('pull_request_closed'), number: z.number().int().min(1), url: z.string(), merged: z.boolean() }),
  /** Opening or updating the pull request failed: `message` says what to do. */
  z.object({ ...base, type: z.literal('pull_request_failed'), message: z.string(), by: z.string().optional() }),
  /** A `/codex review` turn's findings (most severe first), and where they were posted on the code host. */
  z.object({
    ...base,
    type: z.literal('review_completed'),
    verdict: z.enum(['approve', 'request_changes', 'comment']),
    summary: z.string(),
    findings: z.array(reviewFindingSchema),
    head: z.string(),
    base: z.string(),
    pullRequest: z.object({ number: z.number().int().min(1), url: z.string() }).optional(),
    reviewUrl: z.string().optional(),
    /** Submitting the review on the code host failed: a sentence saying what to do. */
    hostError: z.string().optional(),
  }),
  /** Undo: the task branch went back from `from` to `to`, where it was before turn `turn` (upstream too when `pushed`). */
  z.object({ ...base, type: z.literal('branch_reset'), turn: z.number().int().min(1), branch: z.string(), from: z.string(), to: z.string(), pushed: z.boolean(), by: z.string() }),
  /** Undo was refused or failed: `message` says why and what to do. */
  z.object({ ...base, type: z.literal('branch_reset_failed'), turn: z.number().int().min(1), message: z.string(), by: z.string() }),
  /** Setup did not run: what it produced for the same image, commands and lockfiles was restored from the setup cache. */
  z.object({ ...base, type: z.literal('setup_restored'), commands: z.array(z.string()), key: z.string() }),
  /** The task branch was pushed to the upstream (or the push failed: `error` says why). */
  z.object({ ...base, type: z.literal('branch_pushed'), branch: z.string(), remote: z.string(), commit: z.string(), ok: z.boolean(), error: z.string().optional() }),
  z.object({ ...base, type: z.literal('task_failed'), code: z.string(), message: z.string() }),
  z.object({ ...base, type: z.literal('task_cancelled'), by: z.string().optional() }),
]);
export type TaskEvent = z.infer<typeof taskEventSchema>;
export type TaskEventType = TaskEvent['type'];

/** An event before the emitter stamps it with task id, sequence number and time. */
export type TaskEventInput = TaskEvent extends infer E ? (E extends TaskEvent ? Omit<E, 'taskId' | 'seq' | 'at'> : never) : never;

const opBase = {
  taskId: z.string().min(1),
  /** Unique per operation; used to acknowledge steering and to de-duplicate deliveries. */
  opId: z.string().min(1),
  at: z.string(),
  /** Slack user id of who sent it. */
  by: z.string(),
};

export const taskOpSchema = z.discriminatedUnion('type', [
  /** `attachments`: the id of the reply's files (AttachmentStore). */
  z.object({ ...opBase, type: z.literal('steer'), text: z.string(), attachments: z.string().optional() }),
  z.object({ ...opBase, type: z.literal('approval'), approvalId: z.string(), decision: approvalDecisionSchema }),
  /** An answer to an open question (a button's choice); a thread reply while a question is open answers it too (as a steer). */
  z.object({ ...opBase, type: z.literal('answer'), questionId: z.string(), answer: z.string().min(1) }),
  /** Stop the current step (model request and running command) and wait for the next instruction. */
  z.object({ ...opBase, type: z.literal('interrupt') }),
  /** End the task; the branch keeps whatever was done. */
  z.object({ ...opBase, type: z.literal('cancel') }),
]);
export type TaskOp = z.infer<typeof taskOpSchema>;
export type TaskOpInput = TaskOp extends infer O ? (O extends TaskOp ? Omit<O, 'taskId' | 'opId' | 'at'> & { opId?: string } : never) : never;

/** Where the agent sends events. Implementations: Redis stream (worker), arrays (tests). */
export interface EventSink {
  emit(event: TaskEventInput): Promise<TaskEvent>;
}

/**
 * Where the agent reads operations from. `next` resolves with the next operation not yet
 * consumed, or with undefined when `signal` aborts. `drain` returns what is queued now
 * without waiting.
 */
export interface OpSource {
  next(signal?: AbortSignal): Promise<TaskOp | undefined>;
  drain(): Promise<TaskOp[]>;
}

/**
 * What a task needs to resume from its last complete step, on any worker. The items are the
 * Responses API's input items, checked here only for the shape every item has (a `type` or a
 * `role`); the model server checks the rest when they are sent again.
 */
export const savedConversationSchema = z.object({
  items: z.array(z.looseObject({ type: z.string().optional(), role: z.string().optional() })),
  /** The last event sequence number emitted for the task. */
  lastSeq: z.number().int().min(0),
  /** The turn number (1 for the first prompt, +1 for each follow-up). */
  turn: z.number().int().min(1),
  usage: tokenUsageSchema,
});
export type SavedConversation = z.infer<typeof savedConversationSchema>;

/** Persists a task's conversation after every step. Implementation: Redis (src/tasks/). */
export interface ConversationStore {
  load(taskId: string): Promise<SavedConversation | undefined>;
  /**
   * Saves the conversation. Items before `fromIndex` are already stored (the conversation is
   * append-only), so only the rest are written; a store that finds otherwise writes them all.
   */
  save(taskId: string, conversation: SavedConversation, fromIndex?: number): Promise<void>;
}

/**
 * The files of one Slack message, as the model gets them: images downloaded and downscaled by
 * the app (data URLs, capped in count and size), and the names of everything else. Stored under
 * a day (`<prefix>:attachments:<id>`); only the id travels (in a steer op or the task record).
 */
export const attachmentsSchema = z.object({
  images: z.array(z.object({ name: z.string(), dataUrl: z.string() })),
  /** Files that are not images, and images left out (over the cap, too large, unreadable). */
  others: z.array(z.object({ name: z.string(), why: z.enum(['not_an_image', 'too_many', 'too_large', 'unreadable']) })),
});
export type Attachments = z.infer<typeof attachmentsSchema>;

/** Where the agent reads a message's attachments (written by the app). Implementation: TaskStore. */
export interface AttachmentStore {
  loadAttachments(id: string): Promise<Attachments | undefined>;
}
