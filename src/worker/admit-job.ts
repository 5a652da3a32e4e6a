import { DelayedError, type Job } from 'bullmq';
import type { AdmissionControl } from '../tasks/admission.js';

/** A turn waiting in line asks again this often (its job waits delayed in the queue meanwhile). */
export const LINE_RETRY_MS = 1_000;
/** How often a running turn renews its slot. */
const RENEW_MS = 20_000;

/**
 * Runs `run` for a task's job once the running-task caps admit it (AdmissionControl). Over a
 * cap, the turn waits in line without holding this worker slot: its job goes back to the queue,
 * delayed a moment, and `onPlace` hears of each move in the line (the card shows it). The slot
 * is held, and renewed, while `run` runs, and freed after.
 */
export async function runAdmitted(input: {
  admission: AdmissionControl;
  job: Job;
  token: string | undefined;
  taskId: string;
  owner: () => Promise<string | undefined>;
  onPlace: (place: number) => Promise<void>;
  run: () => Promise<void>;
}): Promise<void> {
  const { admission, taskId } = input;
  if (!admission.enabled) return input.run();
  const owner = await input.owner();
  if (owner === undefined) return input.run();
  const admitted = await admission.admit(taskId, owner);
  if (!admitted.admitted) {
    if (admitted.moved) await input.onPlace(admitted.place).catch(() => undefined);
    await input.job.moveToDelayed(Date.now() + LINE_RETRY_MS, input.token);
    throw new DelayedError();
  }
  const renew = setInterval(() => void admission.renew(taskId).catch(() => undefined), RENEW_MS);
  try {
    await input.run();
  } finally {
    clearInterval(renew);
    await admission.release(taskId).catch(() => undefined);
  }
}
