import { Worker, type ConnectionOptions } from 'bullmq';
import { renderAutomationPaused } from '../blocks/index.js';
import { AUTOMATION_QUEUE, occurrenceSchema, type Automation } from '../tasks/automations.js';
import { FINAL_STATUSES } from '../tasks/task-record.js';
import { createTask } from './create-task.js';
import type { SlackDeps } from './slack-deps.js';
import { resolveTarget } from './task-target.js';

/** Failed runs in a row that pause an automation. */
export const PAUSE_AFTER_FAILURES = 3;

/**
 * Runs automations' occurrences in this app process: BullMQ's job scheduler makes one job per
 * occurrence, and whichever process takes it runs it, once. An occurrence starts an ordinary
 * task in the automation's channel, owned by its author, whose card names the automation. One
 * run at a time: an occurrence that finds the previous run still going is skipped and
 * counted; three failed runs in a row pause the automation and say so in the channel.
 */
export function startAutomationRunner(deps: SlackDeps, connection: ConnectionOptions, bullPrefix: string): Worker {
  const worker = new Worker(AUTOMATION_QUEUE, async (job) => runOccurrence(deps, occurrenceSchema.parse(job.data).automationId), { connection, prefix: bullPrefix, concurrency: 4 });
  worker.on('error', (e) => deps.logger.warn({ err: e }, 'automation runner error'));
  worker.on('failed', (job, e) => deps.logger.warn({ err: e, jobId: job?.id }, 'an automation occurrence failed'));
  return worker;
}

export async function runOccurrence(deps: SlackDeps, automationId: string, options: { manual?: boolean } = {}): Promise<void> {
  const a = await deps.automations.get(automationId);
  // "Run now" runs a paused automation too; a schedule's occurrence does not.
  if (!a || (a.paused && !options.manual)) return;
  const failures = await failuresSoFar(deps, a);
  if (failures === 'running') {
    await deps.automations.update(a.id, { skipped: a.skipped + 1 });
    deps.logger.info({ automationId: a.id }, 'automation occurrence skipped: the previous run is still going');
    return;
  }
  if (failures >= PAUSE_AFTER_FAILURES) {
    await deps.automations.update(a.id, { paused: true, failures });
    await deps.poster.postMessage(a.channel, renderAutomationPaused({ id: a.id, owner: a.owner, failures })).catch((e: unknown) => deps.logger.warn({ err: e }, 'could not say an automation was paused'));
    return;
  }
  // The repo, model and personality as a task started here by its author would have them now (their defaults included).
  const target = await resolveTarget(deps, a.channel, a.owner, { repo: a.repo, ...a.requested });
  if (!target.ok) {
    deps.logger.warn({ automationId: a.id, repo: a.repo, error: target.error.kind }, 'automation skipped: its repo is no longer configured or allowed');
    return;
  }
  const created = await createTask(deps, { repo: target.repo, asked: { prompt: a.prompt, ...(a.requested?.pullRequest ? { pullRequest: true } : {}) }, owner: a.owner, channel: a.channel, teamId: a.teamId, model: target.model, personality: target.personality, automation: { id: a.id, cron: a.cron } });
  await deps.automations.update(a.id, { lastTaskId: created.task.id, failures });
  await created.publish();
}

/** Failed runs in a row up to the previous one, or 'running' while that one goes on. */
async function failuresSoFar(deps: SlackDeps, a: Automation): Promise<number | 'running'> {
  if (!a.lastTaskId) return a.failures;
  const last = await deps.store.getTask(a.lastTaskId);
  if (last && !FINAL_STATUSES.has(last.status)) return 'running';
  if (last?.status === 'failed') return a.failures + 1;
  return last?.status === 'done' ? 0 : a.failures;
}
