import type { Job } from 'bullmq';
import type { Logger } from '../logger.js';

/*
 * Keeps one run's BullMQ job lock, beside BullMQ's own renewals. BullMQ tracks locks by job id:
 * when a Redis outage outlasts the lock, the stalled check hands the job out again, possibly to
 * this same process, and the old run's end then untracks the lock of the new run (same id),
 * which would lose it in turn, and so on. Renewed here with this run's own token, a run keeps its
 * lock whatever became of earlier runs of the job; a renewal Redis refuses (the lock is another
 * run's now) aborts this run. A renewal that cannot reach Redis is tried again at the next tick.
 */

export interface HeldLock {
  /** Aborted (reason `lock lost`) once the lock belongs to someone else. */
  signal: AbortSignal;
  stop(): void;
}

export function holdLock(job: Job, token: string, lockMs: number, logger: Logger): HeldLock {
  const lost = new AbortController();
  const timer = setInterval(() => {
    job.extendLock(token, lockMs).then(
      (renewed) => {
        if (renewed || lost.signal.aborted) return;
        logger.warn({ jobId: job.id }, 'this run lost its job lock; stopping it here');
        lost.abort('lock lost');
      },
      (e: unknown) => logger.debug({ err: e, jobId: job.id }, 'could not renew the job lock; trying again'),
    );
  }, Math.max(250, Math.floor(lockMs / 2)));
  timer.unref();
  return { signal: lost.signal, stop: () => clearInterval(timer) };
}
