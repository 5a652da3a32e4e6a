import { z } from 'zod';

/*
 * Message metadata on every message the bot posts for a task (ARCHITECTURE: "event_type:
 * codex_task_*, payload with the task id"), so a thread maps back to its task from Slack's
 * side too: `conversations.replies` returns it on each message (with
 * `include_all_metadata`). Read back through the schema: anything in a channel could carry it.
 */

export const taskMessageKindSchema = z.enum(['status', 'narration', 'commands', 'approval', 'summary', 'failure', 'cancelled', 'interrupted', 'notice', 'question']);
export type TaskMessageKind = z.infer<typeof taskMessageKindSchema>;

export const taskMessageMetadataSchema = z.object({
  event_type: z.string().regex(/^codex_task_[a-z_]+$/),
  event_payload: z.looseObject({
    task_id: z.string().min(1).max(100),
    approval_id: z.string().min(1).max(100).optional(),
    /** The newest task event the message carries: lets a renderer taking over see what was delivered. */
    seq: z.number().int().min(1).optional(),
  }),
});
export type TaskMessageMetadata = z.infer<typeof taskMessageMetadataSchema>;

/** `{ event_type: 'codex_task_status', event_payload: { task_id } }` for `chat.postMessage`. */
export function taskMessageMetadata(kind: TaskMessageKind, taskId: string, extra: { approvalId?: string; seq?: number } = {}): TaskMessageMetadata {
  return {
    event_type: `codex_task_${kind}`,
    event_payload: { task_id: taskId, ...(extra.approvalId ? { approval_id: extra.approvalId } : {}), ...(extra.seq ? { seq: extra.seq } : {}) },
  };
}

/** The task a message belongs to, or undefined when its metadata is not ours. */
export function parseTaskMessageMetadata(raw: unknown): { kind: TaskMessageKind; taskId: string; approvalId?: string; seq?: number } | undefined {
  const parsed = taskMessageMetadataSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const kind = taskMessageKindSchema.safeParse(parsed.data.event_type.slice('codex_task_'.length));
  if (!kind.success) return undefined;
  const { task_id, approval_id, seq } = parsed.data.event_payload;
  return { kind: kind.data, taskId: task_id, ...(approval_id ? { approvalId: approval_id } : {}), ...(seq ? { seq } : {}) };
}
