import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Where a task is in its life. The status card renders exactly these. */
export const taskStatusSchema = z.enum([
  'queued',
  'starting',
  'working',
  'waiting_for_approval',
  /** Shown on the card only (folded from `question_asked`): the agent waits for an answer in the thread. */
  'waiting_for_answer',
  'interrupted',
  'done',
  'failed',
  'cancelled',
]);
export type TaskStatus = z.infer<typeof taskStatusSchema>;

/** A task id: eight lowercase letters and digits (newTaskId). The one pattern, wherever an id is read. */
export const TASK_ID_PATTERN = /^[a-z0-9]{8}$/;
export const taskIdSchema = z.string().regex(TASK_ID_PATTERN, 'must be a task id: 8 lowercase letters and digits');

export const FINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(['done', 'failed', 'cancelled']);

/**
 * The task record in Redis. Written by the app when a task is created and by the worker as it
 * runs; read back through this schema, never trusted as-is.
 */
export const taskRecordSchema = z.object({
  id: taskIdSchema,
  repo: z.string(),
  /** The task's own branch, `codex/<id>-<slug>`; it outlives the checkout. */
  branch: z.string(),
  /** The branch the task starts from (the repo's base branch unless --branch was given). */
  baseBranch: z.string(),
  prompt: z.string(),
  /** Earlier messages of the thread the task was started from (mentions), capped. */
  context: z.string().optional(),
  /** The files of the message the task was started from (TaskStore.saveAttachments id), for turn 1. */
  attachments: z.string().optional(),
  /** Slack user id of who asked; the owner may steer, approve, stop and cancel. */
  owner: z.string(),
  teamId: z.string().optional(),
  channel: z.string(),
  /** ts of the thread the task talks in (the root card's ts for /codex task; the mention's thread otherwise). */
  threadTs: z.string().optional(),
  /** ts of the status card message, edited in place as the task moves. */
  cardTs: z.string().optional(),
  /** Stream id of the last operation the previous turn consumed; a follow-up reads after it. */
  opCursor: z.string().optional(),
  status: taskStatusSchema,
  /** The model asked for (`--model`, a default, or CODEX_MODEL); the card shows which one actually answered. */
  model: z.string(),
  /** How the agent writes its narration and summary (`--personality`); its text goes into the task's instructions. */
  personality: z.string().optional(),
  turn: z.number().int().min(1),
  /**
   * `plan`: the first turn explores and proposes a plan without changing anything (its changes
   * are discarded); a reply then starts an ordinary turn that carries the plan out.
   */
  mode: z.enum(['task', 'plan', 'review']).default('task'),
  /** The automation that started this task (`/codex schedule`). */
  automation: z.object({ id: z.string(), cron: z.string() }).optional(),
  /** `/codex review`: the branch or pull request (number) reviewed in the first turn. */
  review: z.object({ branch: z.string().optional(), pullRequest: z.number().int().min(1).optional() }).optional(),
  /** Slack user id of who asked for the current turn (turn > 1). */
  turnBy: z.string().optional(),
  /** Follow-up prompt of the current turn (turn > 1). */
  turnPrompt: z.string().optional(),
  /** The files of the reply that started this turn (turn > 1). */
  turnAttachments: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  commit: z.string().optional(),
  /**
   * The worker run that owns the current turn (set when a run begins it). A job BullMQ hands to
   * a second run while the first still lives (a lost lock) supersedes the first: every write of
   * a run is fenced by this id, so the superseded one can change nothing.
   */
  runId: z.string().optional(),
  /**
   * The turn's final event is written and its renderers are delivering it; the status follows.
   * No new run may take the turn in between (TaskLifecycle.endTurn, finishEnding).
   */
  ending: z.boolean().optional(),
  /** `--pr`: open the pull request at the end of the turn without a click. */
  autoPullRequest: z.boolean().optional(),
  /** The task's open pull request on its code host (one per task). */
  pullRequest: z.object({ number: z.number().int().min(1), url: z.string() }).optional(),
  /** Permalink of the task's Slack thread (for the pull request's body). */
  threadUrl: z.string().optional(),
  /** Someone chose "Approve for this task" on a push: later turns push without asking. */
  autoPush: z.boolean().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type TaskRecord = z.infer<typeof taskRecordSchema>;

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Eight lowercase letters and digits: short enough to type in `/codex cancel <id>`. */
export function newTaskId(): string {
  const bytes = randomBytes(8);
  let id = '';
  for (const b of bytes) id += ID_ALPHABET[b % ID_ALPHABET.length];
  return id;
}

export { slugify, taskBranchName } from './branch-name.js';
