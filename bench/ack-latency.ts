import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { App } from '@slack/bolt';
import { startCodex } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { startFakeSlack, type FakeSlack } from '../tests/fakes/slack-server.js';
import { SlackSender, type SlackHttpResult } from '../tests/fakes/slack-signing.js';
import { deleteKeys, newPrefix, REDIS_URL, removeDir, scratchDir, SIGNING_SECRET } from './fixtures.js';
import { pool, summarize, type Summary } from './stats.js';

/*
 * Slash-command acknowledgement latency: signed `/codex help` and `/codex task …` requests,
 * alternating, many in flight, against our app (role `app`: tasks are created in Redis and
 * queued, their cards posted to the fake Slack after the ack) and against a bare Bolt app that
 * only acks. Both run in this process, on the same fake Slack, with the same requests.
 */

export interface AckResult {
  ours: { all: Summary; help: Summary; task: Summary };
  bare: { all: Summary; help: Summary; task: Summary };
  errors: number;
}

const WARMUP = 50;

/** Sends `count` requests; `ours` also checks that each got our answer (usage, or an empty ack for a created task). */
async function fire(sender: SlackSender, fake: FakeSlack, count: number, inFlight: number, tag: string, ours: boolean): Promise<{ help: number[]; task: number[]; errors: number }> {
  const help: number[] = [];
  const task: number[] = [];
  let errors = 0;
  await pool(count, inFlight, async (i) => {
    const isTask = i % 2 === 1;
    const text = isTask ? `task bench ${tag} request ${i}: make the date parser accept ISO weeks` : 'help';
    const r: SlackHttpResult = await sender.slashCommand({ text, response_url: fake.responseUrl() });
    const ok = r.status === 200 && (!ours || (isTask ? r.body === '' : r.body.includes('ephemeral')));
    if (!ok) errors++;
    (isTask ? task : help).push(r.elapsedMs);
  });
  return { help, task, errors };
}

function summaries(r: { help: number[]; task: number[] }) {
  return { all: summarize([...r.help, ...r.task]), help: summarize(r.help), task: summarize(r.task) };
}

export async function benchAckLatency(requests: number, inFlight: number): Promise<AckResult> {
  const fake = await startFakeSlack();
  const root = scratchDir('ack');
  const prefix = newPrefix();
  const bare = new App({ token: fake.token, signingSecret: SIGNING_SECRET, clientOptions: { slackApiUrl: fake.apiUrl } });
  bare.command('/codex', async ({ ack }) => {
    await ack();
  });
  const configPath = join(root, 'repos.json');
  // Cards are posted after the ack; a generous post budget lets them drain before shutdown.
  // No worker takes these tasks: every one waits in the queue, so the per-person queue cap is lifted.
  writeFileSync(configPath, JSON.stringify({ repos: [{ name: 'calc', url: join(root, 'unused'), baseBranch: 'main' }], slack: { postsPerSecond: 200 }, limits: { maxQueuedTasksPerUser: 100_000 } }));
  const codex = await startCodex(
    loadConfig({
      SLACK_BOT_TOKEN: fake.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: fake.apiUrl,
      PORT: '0',
      REDIS_URL,
      CODEX_CONFIG: configPath,
      CODEX_DATA_DIR: join(root, 'data'),
      CODEX_REDIS_PREFIX: prefix,
      CODEX_ROLE: 'app',
    }),
    silentLogger(),
  );
  try {
    const server = (await bare.start(0)) as Server;
    const address = server.address();
    const barePort = typeof address === 'object' && address ? address.port : 0;
    const oursSender = new SlackSender(`http://127.0.0.1:${codex.port}`, SIGNING_SECRET);
    const bareSender = new SlackSender(`http://127.0.0.1:${barePort}`, SIGNING_SECRET);

    // Our cards are posted after the ack; wait for them so that neither run competes with the
    // other's leftovers.
    let tasks = 0;
    const drain = async () => {
      const deadline = Date.now() + 60_000;
      while (fake.callsTo('chat.postMessage').length < tasks && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };
    await fire(oursSender, fake, WARMUP, inFlight, 'warmup', true);
    tasks += Math.floor(WARMUP / 2);
    await drain();
    await fire(bareSender, fake, WARMUP, inFlight, 'warmup', false);
    const bareRun = await fire(bareSender, fake, requests, inFlight, 'bare', false);
    const oursRun = await fire(oursSender, fake, requests, inFlight, 'ours', true);
    tasks += Math.floor(requests / 2);
    await drain();
    return { ours: summaries(oursRun), bare: summaries(bareRun), errors: oursRun.errors + bareRun.errors };
  } finally {
    await bare.stop().catch(() => undefined);
    await codex.stop(1_000);
    await fake.close();
    await deleteKeys(prefix);
    removeDir(root);
  }
}
