import { Queue, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import { taskIdSchema } from './task-record.js';

export const QUEUE_NAME = 'codex-tasks';

/** What a job carries: only ids. Everything else is read from the task record. */
export const jobDataSchema = z.object({ taskId: taskIdSchema, turn: z.number().int().min(1) });
export type JobData = z.infer<typeof jobDataSchema>;

/** BullMQ job id: the task id for the first turn, `<id>-t<turn>` for follow-ups (job ids are unique). */
export function jobIdFor(taskId: string, turn: number): string {
  return turn === 1 ? taskId : `${taskId}-t${turn}`;
}

/** The producer side of the task queue, used by the app. */
export class TaskQueue {
  readonly queue: Queue<JobData>;

  constructor(connection: ConnectionOptions, prefix = 'codex-bull') {
    this.queue = new Queue<JobData>(QUEUE_NAME, {
      connection,
      prefix,
      skipWaitingForReady: true,
      defaultJobOptions: { removeOnComplete: 1000, removeOnFail: 1000, attempts: 1 },
    });
  }

  async enqueue(data: JobData): Promise<void> {
    const parsed = jobDataSchema.parse(data);
    await this.queue.add('task', parsed, { jobId: jobIdFor(parsed.taskId, parsed.turn) });
  }

  /**
   * Removes a job that has not started yet; returns true if it was removed, or if there is no
   * job at all (nothing will ever run the turn, so it can be ended here too).
   */
  async removeWaiting(taskId: string, turn: number): Promise<boolean> {
    const job = await this.queue.getJob(jobIdFor(taskId, turn));
    if (!job) return true;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false;
    await job.remove();
    return true;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
