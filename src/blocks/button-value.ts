import { z } from 'zod';

/*
 * What the buttons carry. A button's `value` comes back from Slack in the block_actions
 * payload and anyone in the channel can click it, so it holds ids only (never a command,
 * a prompt or anything a user wrote) and is zod-checked on the way back in. The handler then
 * loads the task and checks who clicked.
 */

/** Action ids of every button the builders render; the action handlers listen on these. */
export const ACTION_IDS = {
  stop: 'codex_stop',
  cancel: 'codex_cancel',
  approve: 'codex_approve',
  approveForTask: 'codex_approve_task',
  deny: 'codex_deny',
  openPullRequest: 'codex_open_pr',
  undo: 'codex_undo',
  fixFindings: 'codex_fix_findings',
  /** The prefix of a question's choice buttons (`codex_answer_<index>`: action ids are unique within a message). */
  answer: 'codex_answer',
  automationPause: 'codex_auto_pause',
  automationResume: 'codex_auto_resume',
  automationRun: 'codex_auto_run',
  automationDelete: 'codex_auto_delete',
  /** App Home controls (src/slack/home-controls.ts handles them, not the task buttons' handler). */
  homeNewAutomation: 'codex_home_new_automation',
  homeDefaultRepo: 'codex_home_default_repo',
  homeDefaultModel: 'codex_home_default_model',
  homeDefaultPersonality: 'codex_home_default_personality',
} as const;

/** The prefix of the App Home controls' action ids. */
export const HOME_CONTROL_PREFIX = 'codex_home_';
export type ActionId = (typeof ACTION_IDS)[keyof typeof ACTION_IDS];

const idSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be an id (letters, digits, _ . : -, at most 100)');

/** Stop and Cancel: `{"t":"<taskId>"}`. */
export const taskButtonValueSchema = z.strictObject({ t: idSchema });
export type TaskButtonValue = z.infer<typeof taskButtonValueSchema>;

/** Approve, Approve for this task, Deny: `{"t":"<taskId>","a":"<approvalId>"}`. */
export const approvalButtonValueSchema = z.strictObject({ t: idSchema, a: idSchema });
export type ApprovalButtonValue = z.infer<typeof approvalButtonValueSchema>;

/** Undo (of one turn): `{"t":"<taskId>","n":<turn>}`. */
export const turnButtonValueSchema = z.strictObject({ t: idSchema, n: z.number().int().min(1).max(10_000) });
export type TurnButtonValue = z.infer<typeof turnButtonValueSchema>;

/** A question's choice: `{"t":"<taskId>","q":"<questionId>","c":<choice index>}`. */
export const questionButtonValueSchema = z.strictObject({ t: idSchema, q: idSchema, c: z.number().int().min(0).max(4) });
export type QuestionButtonValue = z.infer<typeof questionButtonValueSchema>;

/** The action id of a question's `index`-th choice. */
export function answerActionId(index: number): string {
  return `${ACTION_IDS.answer}_${index}`;
}

export const buttonValueSchema = z.union([approvalButtonValueSchema, turnButtonValueSchema, questionButtonValueSchema, taskButtonValueSchema]);
export type ButtonValue = z.infer<typeof buttonValueSchema>;

/** Serialises a button value; throws when the ids are not ids (a bug, not user input). */
export function encodeButtonValue(value: ButtonValue): string {
  return JSON.stringify(buttonValueSchema.parse(value));
}

function parseWith<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> | undefined {
  if (typeof raw !== 'string' || raw.length > 2000) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The task id of a Stop or Cancel button's `value`, or undefined when it is not one of ours. */
export function parseTaskButtonValue(raw: unknown): TaskButtonValue | undefined {
  return parseWith(taskButtonValueSchema, raw);
}

/** Task and approval ids of an approval button's `value`, or undefined when it is not ours. */
export function parseApprovalButtonValue(raw: unknown): ApprovalButtonValue | undefined {
  return parseWith(approvalButtonValueSchema, raw);
}

/** Task id and turn of an Undo button's `value`, or undefined when it is not one of ours. */
export function parseTurnButtonValue(raw: unknown): TurnButtonValue | undefined {
  return parseWith(turnButtonValueSchema, raw);
}

/** Task id, question id and choice index of a question's button `value`, or undefined when it is not one of ours. */
export function parseQuestionButtonValue(raw: unknown): QuestionButtonValue | undefined {
  return parseWith(questionButtonValueSchema, raw);
}

/** Either shape; undefined when the value is malformed or carries anything else. */
export function parseButtonValue(raw: unknown): ButtonValue | undefined {
  return parseWith(buttonValueSchema, raw);
}

/** Pause, Resume, Run now and Delete of an automation (App Home): `{"s":"<automationId>"}`. */
export const automationButtonValueSchema = z.strictObject({ s: idSchema });
export type AutomationButtonValue = z.infer<typeof automationButtonValueSchema>;

export function encodeAutomationButtonValue(value: AutomationButtonValue): string {
  return JSON.stringify(automationButtonValueSchema.parse(value));
}

/** The automation id of an automation button's `value`, or undefined when it is not one of ours. */
export function parseAutomationButtonValue(raw: unknown): AutomationButtonValue | undefined {
  return parseWith(automationButtonValueSchema, raw);
}
