import type { Redis } from 'ioredis';
import { z } from 'zod';
import { approvalKindSchema, diffStatSchema } from './protocol.js';

/*
 * Links between task objects and the Slack messages that show them, shared by the reporter
 * (worker side, which posts) and the listeners (app side, which receives clicks and replies):
 *   <p>:approval:<id>          the approval prompt: where it is and what it asks
 *   <p>:approval:<id>:decided  set once, by the first valid click (or the timeout)
 *   <p>:question:<id>          a question of the agent: where it is, its choices, until when
 *   <p>:question:<id>:answered set once, by the first click (or the agent's own close)
 *   <p>:steer:<opId>           the thread reply a steering operation came from
 *   <p>:stream-stopped:<ch>:<ts> a streamed message a person stopped (Slack's Stop): never appended to again
 */

export const approvalRefSchema = z.object({
  approvalId: z.string(),
  taskId: z.string(),
  channel: z.string(),
  ts: z.string(),
  kind: approvalKindSchema,
  command: z.string().optional(),
  diffStat: diffStatSchema.optional(),
  expiresAt: z.string(),
});
export type ApprovalRef = z.infer<typeof approvalRefSchema>;

export const messageRefSchema = z.object({ channel: z.string(), ts: z.string() });
export type MessageRef = z.infer<typeof messageRefSchema>;

/** Where a question is, its choices (a click's answer is read from here) and until when. */
export const questionRefSchema = messageRefSchema.extend({ questionId: z.string(), taskId: z.string(), choices: z.array(z.string()).max(5), expiresAt: z.string() });
export type QuestionRef = z.infer<typeof questionRefSchema>;

const TTL_SEC = 7 * 24 * 3600;

export class MessageRefs {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'codex',
  ) {}

  readonly saveApproval = (ref: ApprovalRef): Promise<void> => this.#save(`approval:${ref.approvalId}`, approvalRefSchema, ref);
  readonly getApproval = (approvalId: string): Promise<ApprovalRef | undefined> => this.#get(`approval:${approvalId}`, approvalRefSchema);
  readonly saveQuestion = (ref: QuestionRef): Promise<void> => this.#save(`question:${ref.questionId}`, questionRefSchema, ref);
  readonly getQuestion = (questionId: string): Promise<QuestionRef | undefined> => this.#get(`question:${questionId}`, questionRefSchema);
  readonly saveSteer = (opId: string, ref: MessageRef): Promise<void> => this.#save(`steer:${opId}`, messageRefSchema, ref);
  readonly getSteer = (opId: string): Promise<MessageRef | undefined> => this.#get(`steer:${opId}`, messageRefSchema);

  /** A person stopped these streamed messages (agent_session_stopped's streaming_message_ts). */
  async markStreamsStopped(channel: string, tss: string[]): Promise<void> {
    if (tss.length === 0) return;
    const tx = this.redis.multi();
    for (const ts of tss) tx.set(`${this.prefix}:stream-stopped:${channel}:${ts}`, '1', 'EX', 3600);
    await tx.exec();
  }

  async streamStopped(channel: string, ts: string): Promise<boolean> {
    return (await this.redis.exists(`${this.prefix}:stream-stopped:${channel}:${ts}`)) === 1;
  }

  /** Claims the single decision of an approval; true only for the first claimant. */
  async claimDecision(approvalId: string, by: string): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}:approval:${approvalId}:decided`, by, 'EX', TTL_SEC, 'NX')) === 'OK';
  }

  /** Claims the single answer of a question; true only for the first claimant. */
  async claimAnswer(questionId: string, by: string): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}:question:${questionId}:answered`, by, 'EX', TTL_SEC, 'NX')) === 'OK';
  }

  async #save<S extends z.ZodType>(key: string, schema: S, value: z.infer<S>): Promise<void> {
    await this.redis.set(`${this.prefix}:${key}`, JSON.stringify(schema.parse(value)), 'EX', TTL_SEC);
  }

  async #get<S extends z.ZodType>(key: string, schema: S): Promise<z.infer<S> | undefined> {
    const raw = await this.redis.get(`${this.prefix}:${key}`);
    if (raw === null) return undefined;
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }
}
