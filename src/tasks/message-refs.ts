import type { Redis } from 'ioredis';
import { z } from 'zod';
import { approvalKindSchema, diffStatSchema } from './protocol.js';

/*
 * Links between task objects and the Slack messages that show them, shared by the reporter
 * (worker side, which posts) and the listeners (app side, which receives clicks and replies):
 *   <p>:approval:<id>          the approval prompt: where it is and what it asks
 *   <p>:approval:<id>:decided  set once, by the first valid click (or the timeout)
 *   <p>:steer:<opId>           the thread reply a steering operation came from
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

const TTL_SEC = 7 * 24 * 3600;

export class MessageRefs {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'codex',
  ) {}

  async saveApproval(ref: ApprovalRef): Promise<void> {
    await this.redis.set(`${this.prefix}:approval:${ref.approvalId}`, JSON.stringify(approvalRefSchema.parse(ref)), 'EX', TTL_SEC);
  }

  async getApproval(approvalId: string): Promise<ApprovalRef | undefined> {
    const raw = await this.redis.get(`${this.prefix}:approval:${approvalId}`);
    if (raw === null) return undefined;
    const parsed = approvalRefSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }

  /** Claims the single decision of an approval; true only for the first claimant. */
  async claimDecision(approvalId: string, by: string): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}:approval:${approvalId}:decided`, by, 'EX', TTL_SEC, 'NX')) === 'OK';
  }

  async saveSteer(opId: string, ref: MessageRef): Promise<void> {
    await this.redis.set(`${this.prefix}:steer:${opId}`, JSON.stringify(ref), 'EX', TTL_SEC);
  }

  async getSteer(opId: string): Promise<MessageRef | undefined> {
    const raw = await this.redis.get(`${this.prefix}:steer:${opId}`);
    if (raw === null) return undefined;
    const parsed = messageRefSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }
}
