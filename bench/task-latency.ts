import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { App } from '@slack/bolt';
import { Queue } from 'bullmq';
import { startCodex } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { jobIdFor, QUEUE_NAME } from '../src/tasks/task-queue.js';
import { message, reply, startModelServer } from '../tests/fakes/model-server.js';
import { FAKE_IDS, startFakeSlack, type FakeSlack } from '../tests/fakes/slack-server.js';
import { SlackSender } from '../tests/fakes/slack-signing.js';
import { deleteKeys, makeUpstream, newPrefix, REDIS_URL, removeDir, scratchDir, SIGNING_SECRET } from './fixtures.js';
import { median } from './stats.js';

/*
 * From `/codex task` to what the person sees: the root message (the status card) and its first
 * edit (the worker has taken the job and shows it starting). The whole product runs in this
 * process with a worker, real Redis, real Docker and git; the model answers at once. Tasks run
 * one after another. The baseline is a bare Bolt app that acks, posts a message and edits it
 * straight away: the least any Slack app needs for the same two things.
 */

export interface TaskLatencyResult {
  ours: { rootMs: number; firstUpdateMs: number };
  bare: { rootMs: number; firstUpdateMs: number };
  tasks: number;
}

const MODEL_KEY = 'sk-bench';

async function measure(sender: SlackSender, fake: FakeSlack, text: string, afterEach?: (ts: string) => Promise<void>): Promise<{ rootMs: number; firstUpdateMs: number }> {
  const seen = new Set(fake.messages(FAKE_IDS.channel).map((m) => m.ts));
  const sentAt = Date.now();
  const ack = await sender.slashCommand({ text, response_url: fake.responseUrl() });
  if (ack.status !== 200) throw new Error(`command refused: ${ack.status} ${ack.body}`);
  const root = await fake.waitFor(() => fake.messages(FAKE_IDS.channel).find((m) => !seen.has(m.ts)), 30_000);
  const post = fake.calls.find((c) => c.method === 'chat.postMessage' && c.response.ts === root.ts)!;
  const update = await fake.waitFor(() => fake.calls.find((c) => c.method === 'chat.update' && c.args.ts === root.ts && c.status === 200), 30_000);
  await afterEach?.(root.ts);
  return { rootMs: post.at - sentAt, firstUpdateMs: update.at - sentAt };
}

export async function benchTaskLatency(tasks: number): Promise<TaskLatencyResult> {
  const fake = await startFakeSlack();
  const model = await startModelServer({ apiKey: MODEL_KEY, script: () => reply(message('Nothing to change.')) });
  const root = scratchDir('task');
  const prefix = newPrefix();
  const upstream = makeUpstream(root, 50, 1);
  const configPath = join(root, 'repos.json');
  writeFileSync(configPath, JSON.stringify({ repos: [{ name: 'calc', url: upstream, baseBranch: 'main' }], approval: { mode: 'never', network: false, push: false } }));
  const codex = await startCodex(
    loadConfig({
      SLACK_BOT_TOKEN: fake.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      PORT: '0',
      OPENAI_API_KEY: MODEL_KEY,
      OPENAI_BASE_URL: model.url,
      CODEX_MODEL: 'bench-model',
      REDIS_URL,
      CODEX_CONFIG: configPath,
      CODEX_DATA_DIR: join(root, 'data'),
      CODEX_REDIS_PREFIX: prefix,
      WORKER_CONCURRENCY: '1',
    }),
    silentLogger(),
  );
  const queue = new Queue(QUEUE_NAME, { connection: { url: REDIS_URL }, prefix: `${prefix}-bull` });
  const bare = new App({ token: fake.token, signingSecret: SIGNING_SECRET, clientOptions: { slackApiUrl: fake.apiUrl } });
  bare.command('/codex', async ({ ack, client, command }) => {
    await ack();
    const posted = await client.chat.postMessage({ channel: command.channel_id, text: `Working on: ${command.text}` });
    await client.chat.update({ channel: command.channel_id, ts: posted.ts!, text: `Started: ${command.text}` });
  });
  try {
    const server = (await bare.start(0)) as Server;
    const address = server.address();
    const bareSender = new SlackSender(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, SIGNING_SECRET);
    const oursSender = new SlackSender(`http://127.0.0.1:${codex.port}`, SIGNING_SECRET);

    // Each task runs to its end before the next starts (its job completed: card and summary delivered).
    const untilDone = async (ts: string) => {
      const taskId = fake.message(FAKE_IDS.channel, ts)!.metadata!.event_payload.task_id as string;
      await fake.waitFor(async () => (await queue.getJobState(jobIdFor(taskId, 1))) === 'completed', 60_000);
    };
    const ours: Array<{ rootMs: number; firstUpdateMs: number }> = [];
    const bareRuns: Array<{ rootMs: number; firstUpdateMs: number }> = [];
    // One warm-up each (mirror clone, first container), then the measured runs.
    for (let i = 0; i <= tasks; i++) {
      // Slack allows about one post a second per channel, and so does our budget: space the
      // tasks so that the figure is latency, not the previous task's summary holding the channel.
      await new Promise((r) => setTimeout(r, 1_100));
      const o = await measure(oursSender, fake, `task bench task ${i}: check the add function`, untilDone);
      const b = await measure(bareSender, fake, `task bench task ${i}: check the add function`);
      if (i > 0) {
        ours.push(o);
        bareRuns.push(b);
      }
    }
    const med = (runs: typeof ours) => ({ rootMs: median(runs.map((r) => r.rootMs)), firstUpdateMs: median(runs.map((r) => r.firstUpdateMs)) });
    return { ours: med(ours), bare: med(bareRuns), tasks };
  } finally {
    await bare.stop().catch(() => undefined);
    await queue.close().catch(() => undefined);
    await codex.stop(10_000);
    await model.close();
    await fake.close();
    await deleteKeys(prefix);
    removeDir(root);
  }
}
