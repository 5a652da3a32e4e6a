import { afterEach, describe, expect, it } from 'vitest';
import { startCodex, type CodexProcess } from '../../src/app.js';
import { silentLogger } from '../../src/logger.js';
import { AUTOMATION_QUEUE } from '../../src/tasks/automations.js';
import { Queue } from 'bullmq';
import { message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, slash, startE2E, type E2E } from '../helpers/e2e.js';
import { shown, waitStatus } from '../helpers/thread.js';

/*
 * Automations on BullMQ job schedulers: refusals in the ack, a one-minute schedule whose
 * occurrence runs once as an ordinary task (two app replicas and two workers), listing and
 * removing it.
 */

let e: E2E | undefined;
let replica: CodexProcess | undefined;
afterEach(async () => {
  await replica?.stop(5_000);
  replica = undefined;
  await e?.cleanup();
  e = undefined;
});

const { channel, owner } = FAKE_IDS;
const cards = (e: E2E) => e.fake.messages(channel).filter((m) => m.metadata?.event_type === 'codex_task_status');

describe('automations', () => {
  it('refuses an invalid or too frequent cron line in the ack, with a valid example', { timeout: 30_000 }, async () => {
    e = await startE2E({ script: [reply(message('never'))] });
    const bad = await slash(e, 'schedule "every morning" triage');
    expect(bad.body).toContain('five fields');
    expect(bad.body).toContain('0 9 * * 1-5');
    expect(JSON.stringify((JSON.parse(bad.body) as { blocks: unknown[] }).blocks).match(/<!date\^/g)).toHaveLength(3);
    const often = await slash(e, 'schedule "*/5 * * * *" triage');
    expect(often.body).toContain('at most every 15 minutes');
    expect(cards(e)).toHaveLength(0);
  });

  it('runs each occurrence once as a task in the channel, owned by its author, and can be removed', { timeout: 150_000 }, async () => {
    e = await startE2E({ repoConfig: { automations: { minIntervalMinutes: 1 } }, script: () => reply(message('Triaged.')) });
    // A second app replica and worker share the queue and the schedulers.
    replica = await startCodex(e.config, silentLogger());
    const ack = await slash(e, 'schedule "* * * * *" triage the open issues');
    const id = /automation `([a-z0-9]{8})`/.exec(ack.body)?.[1];
    expect(id).toBeDefined();
    expect((await slash(e, 'schedules')).body).toContain(`\`${id}\``);

    const card = await e.fake.waitFor(() => cards(e!).find((m) => shown(m).includes(id!)), 90_000);
    const taskId = card.metadata!.event_payload.task_id as string;
    const task = await waitStatus(e, taskId, 'done', 60_000);
    expect(task.owner).toBe(owner);
    expect(task.automation).toEqual({ id, cron: '* * * * *' });
    expect(shown(card)).toContain('triage the open issues');

    expect((await slash(e, `unschedule ${id}`)).body).toContain('Unscheduled');
    expect((await slash(e, 'schedules')).body).not.toContain(`\`${id}\``);
    const queue = new Queue(AUTOMATION_QUEUE, { connection: { url: e.config.env.REDIS_URL }, prefix: `${e.prefix}-bull` });
    expect(await queue.getJobSchedulersCount()).toBe(0);
    await queue.close();
    // Each occurrence ran once: no two runs were started in the same minute.
    const runs = (await Promise.all(cards(e).map((m) => e!.store.getTask(m.metadata!.event_payload.task_id as string)))).filter((t) => t?.automation?.id === id);
    const minutes = runs.map((t) => t!.createdAt.slice(0, 16));
    expect(new Set(minutes).size).toBe(minutes.length);
  });
});
