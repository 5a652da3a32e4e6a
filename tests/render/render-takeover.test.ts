import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { slackSettingsSchema } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { renderCard } from '../../src/render/card-updater.js';
import { createRenderHub } from '../../src/render/create-render-hub.js';
import { replayTask } from '../../src/render/task-view.js';
import { TaskLifecycle } from '../../src/tasks/lifecycle.js';
import { TaskQueue } from '../../src/tasks/task-queue.js';
import { newTaskId, taskBranchName } from '../../src/tasks/task-record.js';
import { TaskStore } from '../../src/tasks/task-store.js';
import { startFakeSlack, FAKE_IDS, type FakeSlack } from '../fakes/slack-server.js';
import { deleteKeys, REDIS_URL, testRedis } from '../helpers/redis.js';

/*
 * A process rendering a task is killed (SIGKILL) in the middle of the task: another process's
 * hub takes the task over once the lease lapses and delivers the rest, so the thread ends
 * exactly as the events say (nothing lost, nothing posted twice) and the card is truthful.
 */

const here = dirname(fileURLToPath(import.meta.url));
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const LEASE_MS = 1_500;
const SCAN_MS = 300;

function startHubProcess(fake: FakeSlack, prefix: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures/render-hub-process.ts')], {
    env: { ...process.env, SLACK_BOT_TOKEN: fake.token, SLACK_API_URL: fake.apiUrl, REDIS_URL, PREFIX: prefix, LEASE_MS: String(LEASE_MS), SCAN_MS: String(SCAN_MS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => void child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`render process exited early (${code})`)));
  });
}

describe('renderer takeover', () => {
  it('finishes the thread of a task whose rendering process was killed, with nothing lost or repeated', { timeout: 60_000 }, async () => {
    const fake = await startFakeSlack();
    cleanups.push(() => fake.close());
    const { redis, prefix, cleanup } = testRedis();
    const queue = new TaskQueue({ url: REDIS_URL }, `${prefix}-bull`);
    cleanups.push(async () => {
      await queue.close();
      await deleteKeys(redis, `${prefix}-bull`);
      await cleanup();
    });
    const store = new TaskStore(redis, prefix);
    const lifecycle = new TaskLifecycle(store, queue);

    // A task with its card posted, as the app leaves it.
    const id = newTaskId();
    const now = new Date().toISOString();
    await lifecycle.create({ id, repo: 'calc', branch: taskBranchName(id, 'fix it'), baseBranch: 'main', prompt: 'fix it', owner: FAKE_IDS.owner, channel: FAKE_IDS.channel, status: 'queued', model: 'm', turn: 1, mode: 'task', createdAt: now, updatedAt: now });
    const root = await new WebClient(fake.token, { slackApiUrl: fake.apiUrl }).chat.postMessage({ channel: FAKE_IDS.channel, text: 'card' });
    await store.patchTask(id, { cardTs: root.ts!, threadTs: root.ts! });

    const child = await startHubProcess(fake, prefix);
    const thread = () => fake.thread(FAKE_IDS.channel, root.ts!).filter((m) => m.ts !== root.ts);
    const begun = (await lifecycle.beginTurn(id, 1))!;
    await lifecycle.markWorking(id, begun, { model: 'm', repo: 'calc', branch: 'b' });
    await store.appendEvent(id, { type: 'agent_message', text: 'First I read the code.' });
    await store.appendEvent(id, { type: 'command_started', callId: 'c1', command: 'cat a.js' });
    await store.appendEvent(id, { type: 'command_finished', callId: 'c1', command: 'cat a.js', exitCode: 0, durationMs: 5, timedOut: false, outputTail: 'x' });
    await store.appendEvent(id, { type: 'agent_message', text: 'Then I run the tests.' });
    // The first process delivered the narration and the command log (the newest narration is held).
    await fake.waitFor(() => thread().length === 2, 15_000);

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await store.appendEvent(id, { type: 'command_finished', callId: 'c2', command: 'npm test', exitCode: 1, durationMs: 9, timedOut: false, outputTail: 'fail' });
    await lifecycle.endTurn(id, { turn: 1 }, { type: 'task_failed', code: 'agent_error', message: 'The tests failed.' });

    // Another process's hub takes over once the lease lapses.
    const other = createRenderHub({ redisUrl: REDIS_URL, prefix, client: new WebClient(fake.token, { slackApiUrl: fake.apiUrl, rejectRateLimitedCalls: true }), slack: slackSettingsSchema.parse({}), team: 'T0FAKE', logger: silentLogger(), deciders: (t) => [t.owner], leaseMs: LEASE_MS, scanMs: SCAN_MS });
    cleanups.push(() => other.stop());
    await fake.waitFor(() => thread().some((m) => m.metadata?.event_type === 'codex_task_failure'), 20_000);
    await fake.waitFor(async () => (await store.getTask(id))?.status === 'failed' && JSON.stringify(fake.message(FAKE_IDS.channel, root.ts!)?.blocks).includes('Failed'), 10_000);

    const { state, outputs } = replayTask(id, await store.readEvents(id));
    const expected = outputs.flatMap((o) => (o.type === 'post' ? [o.kind] : []));
    expect(thread().map((m) => m.metadata?.event_type)).toEqual(expected.map((k) => `codex_task_${k}`));
    expect(expected).toEqual(['narration', 'commands', 'narration', 'commands', 'failure']);
    expect(JSON.stringify(fake.message(FAKE_IDS.channel, root.ts!)!.blocks)).toBe(JSON.stringify(renderCard(state).blocks));
  });
});
