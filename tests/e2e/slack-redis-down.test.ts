import { afterEach, describe, expect, it } from 'vitest';
import { message, reply, type Script } from '../fakes/model-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { ackMessage, sendCommand, taskKeys, visibleText, waitForJobEnd } from '../helpers/slack-checks.js';

/*
 * Redis taken away from a running product. The product runs against a redis-server of the
 * test's own (nothing persisted), proves it works by running a task, then loses Redis:
 *   - killed (SIGKILL): connections reset, reconnects refused;
 *   - frozen (SIGSTOP): connections stay open and nothing answers, the harder case, where only
 *     a deadline can save the acknowledgement.
 * Either way `/codex task` is acknowledged within Slack's 3 seconds with an ephemeral message
 * that says the service is unavailable and what to do, no status card is posted, and no task
 * is left behind; `/codex help` still answers. When Redis is back, tasks work again.
 */

/** Slack shows "operation_timeout" to the person when the ack takes longer than this. */
const SLACK_ACK_MS = 3_000;

let e: E2E | undefined;
let redis: PrivateRedis | undefined;
afterEach(async () => {
  redis?.thaw();
  // The product's shutdown talks to Redis (worker heartbeat, queue); give it one to talk to.
  if (redis && !(await isUp(redis))) await redis.restart();
  await e?.cleanup();
  await redis?.stop();
  e = undefined;
  redis = undefined;
});

async function isUp(r: PrivateRedis): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const probe = new Redis(r.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, connectTimeout: 500 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await Promise.race([probe.ping(), new Promise((resolve) => setTimeout(() => resolve('timeout'), 500))])) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const rootCards = (e: E2E) => e.fake.messages(FAKE_IDS.channel).filter((m) => m.metadata?.event_type === 'codex_task_status');

/** Runs one task to Done: the product works against this Redis. */
async function runTask(e: E2E, prompt: string): Promise<string> {
  const before = rootCards(e).length;
  const ack = await sendCommand(e, `task ${prompt}`);
  expect(ack.status).toBe(200);
  expect(ack.body).toBe('');
  const root = await e.fake.waitFor(() => rootCards(e)[before], 10_000);
  const taskId = root.metadata!.event_payload.task_id as string;
  // Once its job has ended, the task posts nothing more.
  await waitForJobEnd(e, taskId, 60_000);
  expect((await e.store.getTask(taskId))?.status).toBe('done');
  return taskId;
}

function expectUnavailable(result: Awaited<ReturnType<typeof sendCommand>>): void {
  // The spec: Slack gives up on an acknowledgement after 3 seconds.
  expect(result.elapsedMs).toBeLessThan(SLACK_ACK_MS);
  const ack = ackMessage(result);
  expect(ack.response_type).toBe('ephemeral');
  // What happened, and what to do about it.
  expect(ack.text).toContain("I can't take tasks right now");
  expect(ack.text).toContain('task store (Redis) is not reachable');
  expect(ack.text).toContain('Try again in a few minutes');
}

async function expectHelpAnswers(e: E2E): Promise<void> {
  const help = await sendCommand(e, 'help');
  expect(help.elapsedMs).toBeLessThan(SLACK_ACK_MS);
  const ack = ackMessage(help);
  expect(ack.response_type).toBe('ephemeral');
  expect(visibleText(ack)).toContain('/codex task [--repo NAME]');
}

const script: Script = (_req, index) => reply(message(`Nothing to change (run ${index + 1}).`));

describe('/codex with Redis gone', () => {
  it('killed: the ack still comes within 3 s with an ephemeral error, nothing is posted, help answers, and tasks work again once Redis is back', { timeout: 150_000 }, async () => {
    redis = await startPrivateRedis();
    e = await startE2E({ script, env: { REDIS_URL: redis.url } });
    await runTask(e, 'check the add function');
    const postsBefore = e.fake.callsTo('chat.postMessage').length;

    await redis.kill();
    const killedAt = Date.now();
    expectUnavailable(await sendCommand(e, 'task fix the subtract function'));
    await expectHelpAnswers(e);
    // The other commands that read Redis answer in time too, with the same sentence.
    for (const text of ['status', 'status k3x9q2m1', 'cancel k3x9q2m1']) {
      const r = await sendCommand(e, text);
      expect(r.elapsedMs).toBeLessThan(SLACK_ACK_MS);
      expect(ackMessage(r).text).toContain('task store (Redis) is not reachable');
    }
    // A second try while it is still down, once the client has surely seen the refused
    // reconnects (not just the reset), is answered the same way.
    await new Promise((r) => setTimeout(r, 2_500));
    expectUnavailable(await sendCommand(e, 'task fix the subtract function'));

    // Nothing half-made: no status card, no ephemeral, no response_url post for the refused tasks.
    expect(e.fake.callsTo('chat.postMessage').length).toBe(postsBefore);
    expect(e.fake.calls.filter((c) => c.at >= killedAt && c.method.startsWith('chat.post'))).toEqual([]);
    expect(e.fake.responses()).toEqual([]);
    expect(rootCards(e)).toHaveLength(1);

    // Back (empty, as after a crash without persistence): tasks are taken again.
    await redis.restart();
    // The app reconnects on its own (its retry backs off up to 2 s).
    await e.fake.waitFor(async () => !(await sendCommand(e!, 'status')).body.includes('not reachable'), 15_000);
    await runTask(e, 'check the multiply function');
    expect(rootCards(e)).toHaveLength(2);
  });

  it('frozen: the ack comes within 3 s, and no task record appears when Redis answers again', { timeout: 120_000 }, async () => {
    redis = await startPrivateRedis();
    e = await startE2E({ script, env: { REDIS_URL: redis.url } });
    const first = await runTask(e, 'check the add function');
    const postsBefore = e.fake.callsTo('chat.postMessage').length;

    redis.freeze();
    expectUnavailable(await sendCommand(e, 'task fix the subtract function'));
    await expectHelpAnswers(e);
    expectUnavailable(await sendCommand(e, 'task fix the divide function'));

    // Redis answers again and runs whatever the app had sent before giving up: the refused
    // tasks must not turn into records nobody will ever run or show.
    redis.thaw();
    await new Promise((r) => setTimeout(r, 2_000));
    const ids = new Set((await taskKeys(e.redis, e.prefix)).map((k) => k.split(':')[2]));
    expect(ids).toEqual(new Set([first]));
    expect(e.fake.callsTo('chat.postMessage').length).toBe(postsBefore);
    expect(rootCards(e)).toHaveLength(1);

    await runTask(e, 'check the multiply function');
  });
});
