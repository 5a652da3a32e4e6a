import { Queue, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import { taskIdSchema } from './task-record.js';

export const QUEUE_NAME = 'codex-tasks';

/**
 * What a job carries: only ids. Everything else is read from the task record. A job with a
 * `delivery` runs that delivery step for an ended turn (open the pull request, undo the turn)
 * instead of a turn: a person's click, carried out by a worker.
 */
export const jobDataSchema = z.object({
  taskId: taskIdSchema,
  turn: z.number().int().min(1),
  delivery: z.object({ action: z.enum(['pull_request', 'undo']), by: z.string(), turn: z.number().int().min(1) }).optional(),
});
export type JobData = z.infer<typeof jobDataSchema>;
export type DeliveryRequest = NonNullable<JobData['delivery']>;

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
   * Queues a delivery step for turn `turn` of a task. One job id per task, turn and action: a
   * second click while the first waits or runs is the same job (BullMQ keeps ids unique).
   */
  async enqueueDelivery(taskId: string, turn: number, delivery: DeliveryRequest): Promise<void> {
    const parsed = jobDataSchema.parse({ taskId, turn, delivery });
    await this.queue.add('delivery', parsed, { jobId: `${taskId}-t${turn}-${delivery.action}-${delivery.turn}`, removeOnComplete: true, removeOnFail: true });
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
