import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { startCodex } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { HOME_DEBOUNCE_MS } from '../src/render/home-refresher.js';
import { silentLogger } from '../src/logger.js';
import { Automations } from '../src/tasks/automations.js';
import { TaskLifecycle } from '../src/tasks/lifecycle.js';
import { TaskQueue } from '../src/tasks/task-queue.js';
import { TaskStore } from '../src/tasks/task-store.js';
import { FAKE_IDS, startFakeSlack, type FakeSlack } from '../tests/fakes/slack-server.js';
import { SlackSender } from '../tests/fakes/slack-signing.js';
import { deleteKeys, newPrefix, REDIS_URL, removeDir, scratchDir, SIGNING_SECRET } from './fixtures.js';
import { pool, summarize, type Summary } from './stats.js';

/*
 * The App Home and the scheduler, with the product in this process (role `app`: listeners,
 * renderers, the automation runner; no worker, so tasks are moved by hand the way a worker moves
 * them, through TaskLifecycle).
 *
 * Home: `running` tasks of one person are working; each sample ends one of them (a state
 * change, as a worker's endTurn) and times until a views.publish of that person's Home that no
 * longer lists it lands at the fake Slack (each sample after the throttle's window,
 * HOME_DEBOUNCE_MS, has passed: a lone change). Also timed: opening the
 * Home (app_home_opened → views.publish: the whole view read and built). Baseline: a bare
 * views.publish of the same view through @slack/web-api to the same fake.
 *
 * Scheduler: an automation on a seconds cron (`*\/N * * * * *`: not allowed to people, who are
 * held to automations.minIntervalMinutes) and, in the same run, a bare BullMQ
 * upsertJobScheduler with the same pattern and a Worker. Each occurrence is timed from its
 * scheduled time (the cron boundary) to the task's record (createdAt) and its root message,
 * and for the baseline to the worker receiving the job.
 */

export interface HomeBenchResult {
  running: number;
  change: Summary;
  open: Summary;
  bare: Summary;
  occurrences: { record: Summary; root: Summary; bare: Summary; skipped: number };
}

const EVERY_SEC = 5;

/** When a views.publish of `user`'s Home landed after call `after` (and, if given, showed what `shows` wants). */
async function untilPublished(fake: FakeSlack, user: string, after: number, shows: (view: string) => boolean = () => true): Promise<number> {
  const call = await fake.waitFor(() => fake.calls.slice(after).find((c) => c.method === 'views.publish' && c.args.user_id === user && c.status === 200 && c.response.ok && shows(JSON.stringify(c.args.view))), 30_000);
  return call.at;
}

/** The cron boundary at or before `t` for a pattern firing every `everySec` seconds (60 is a multiple of it). */
const boundary = (t: number, everySec: number) => Math.floor(t / (everySec * 1000)) * everySec * 1000;

export async function benchHome(running: number, samples: number, occurrences: number): Promise<HomeBenchResult> {
  const fake = await startFakeSlack();
  const root = scratchDir('home');
  const prefix = newPrefix();
  const bullPrefix = `${prefix}-bull`;
  const configPath = join(root, 'repos.json');
  writeFileSync(configPath, JSON.stringify({ repos: [{ name: 'calc', url: join(root, 'unused'), baseBranch: 'main' }], slack: { postsPerSecond: 200 }, limits: { maxQueuedTasksPerUser: 100_000 } }));
  const codex = await startCodex(
    loadConfig({ SLACK_BOT_TOKEN: fake.token, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, PORT: '0', REDIS_URL, CODEX_CONFIG: configPath, CODEX_DATA_DIR: join(root, 'data'), CODEX_REDIS_PREFIX: prefix, CODEX_ROLE: 'app' }),
    silentLogger(),
  );
  const redis = new Redis(REDIS_URL);
  const store = new TaskStore(redis, prefix);
  const queue = new TaskQueue({ url: REDIS_URL }, bullPrefix);
  const lifecycle = new TaskLifecycle(store, queue);
  const sender = new SlackSender(`http://127.0.0.1:${codex.port}`, SIGNING_SECRET, (u) => fake.issueTrigger(u));
  const user = FAKE_IDS.owner;
  const bareQueue = new Queue(`bench-home-${prefix}`, { connection: { url: REDIS_URL }, prefix: bullPrefix });
  let bareWorker: Worker | undefined;
  try {
    // `running + samples` tasks, all working: each sample ends one, `running` stay.
    const ids: string[] = [];
    await pool(running + samples, 10, async (i) => {
      const r = await sender.slashCommand({ text: `task bench home ${i}: tidy the date helpers`, response_url: fake.responseUrl() });
      if (r.status !== 200 || r.body !== '') throw new Error(`task not created: ${r.body}`);
    });
    await fake.waitFor(async () => (await store.activeTaskIds()).length >= running + samples && fake.callsTo('chat.postMessage').length >= running + samples, 60_000);
    ids.push(...(await store.activeTaskIds()));
    const runs = new Map<string, { turn: number; runId: string }>();
    for (const id of ids) {
      const begun = await lifecycle.beginTurn(id, 1);
      if (!begun) throw new Error(`could not start ${id}`);
      await lifecycle.markWorking(id, { turn: 1, runId: begun.runId }, { model: 'bench', repo: 'calc', branch: begun.branch });
      runs.set(id, { turn: 1, runId: begun.runId });
    }

    const open: number[] = [];
    for (let i = 0; i < samples; i++) {
      const from = fake.calls.length;
      const sent = Date.now();
      await sender.event({ type: 'app_home_opened', user, channel: 'D0FAKEDM01', tab: 'home' });
      open.push((await untilPublished(fake, user, from)) - sent);
    }
    // Let any refresh still pending from the setup land before timing changes.
    await new Promise((r) => setTimeout(r, 4_000));

    const change: number[] = [];
    for (const id of ids.slice(0, samples)) {
      const from = fake.calls.length;
      const at = Date.now();
      await lifecycle.endTurn(id, runs.get(id)!, { type: 'task_completed', summary: 'Done.', diffStat: { files: [], added: 0, removed: 0 }, branch: 'codex/bench' });
      // Until a publish shows the change: the task is no longer among the running ones.
      change.push((await untilPublished(fake, user, from, (view) => !view.includes(`home_task_${id}`))) - at);
      // The next sample starts with the window free (after this change's closing publish), as a lone change would find it.
      await new Promise((r) => setTimeout(r, 2 * HOME_DEBOUNCE_MS + 500));
    }

    const view = fake.homeView(user)!;
    const client = new WebClient(fake.token, { slackApiUrl: fake.apiUrl });
    const bare: number[] = [];
    for (let i = 0; i < samples * 3; i++) {
      const from = fake.calls.length;
      const at = Date.now();
      await client.views.publish({ user_id: user, view: view as never });
      bare.push((await untilPublished(fake, user, from)) - at);
    }

    // Scheduler: ours, then the bare BullMQ scheduler.
    const automations = new Automations(redis, prefix, { url: REDIS_URL }, bullPrefix);
    const id = 'benchaut';
    const cron = `*/${EVERY_SEC} * * * * *`;
    await automations.schedule({ id, cron, timezone: 'UTC', prompt: 'bench occurrence', repo: 'calc', channel: FAKE_IDS.channel, owner: user, createdAt: new Date().toISOString(), paused: false, failures: 0, skipped: 0 });
    const seen = new Set<string>();
    const record: number[] = [];
    const rootMsg: number[] = [];
    while (record.length < occurrences) {
      const card = await fake.waitFor(() => fake.messages(FAKE_IDS.channel).find((m) => !seen.has(m.ts) && m.metadata?.event_type === 'codex_task_status' && JSON.stringify(m.blocks).includes(id)), 60_000);
      seen.add(card.ts);
      const taskId = card.metadata!.event_payload.task_id as string;
      const task = (await store.getTask(taskId))!;
      const created = Date.parse(task.createdAt);
      const scheduled = boundary(created, EVERY_SEC);
      const post = fake.calls.find((c) => c.method === 'chat.postMessage' && c.response.ts === card.ts)!;
      record.push(created - scheduled);
      rootMsg.push(post.at - scheduled);
      // The run ends (one run at a time: a next occurrence would be skipped while it goes on);
      // its job is queued just after the root message, so the cancel may need a second look.
      await fake.waitFor(async () => {
        const now = await store.getTask(taskId);
        return now !== undefined && (now.status !== 'queued' || (await lifecycle.cancelQueued(now, user)));
      }, 10_000);
    }
    const skipped = (await automations.get(id))?.skipped ?? 0;
    await automations.remove(id);
    await automations.close();

    const bareOcc: number[] = [];
    await new Promise<void>((resolve) => {
      bareWorker = new Worker(
        bareQueue.name,
        async () => {
          const now = Date.now();
          bareOcc.push(now - boundary(now, EVERY_SEC));
          if (bareOcc.length >= occurrences) resolve();
        },
        { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix: bullPrefix },
      );
      void bareQueue.upsertJobScheduler('bare', { pattern: cron, tz: 'UTC' }, { name: 'occurrence', data: {} });
    });
    await bareQueue.removeJobScheduler('bare');
    return { running, change: summarize(change), open: summarize(open), bare: summarize(bare), occurrences: { record: summarize(record), root: summarize(rootMsg), bare: summarize(bareOcc), skipped } };
  } finally {
    await bareWorker?.close().catch(() => undefined);
    await bareQueue.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    await codex.stop(1_000);
    redis.disconnect();
    await fake.close();
    await deleteKeys(prefix);
    removeDir(root);
  }
}
