import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply, type RecordedRequest, type ScriptReply } from '../fakes/model-server.js';
import type { RecordedCall } from '../fakes/slack-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { failedCalls, limitFailures, sendCommand, visibleText, waitForJobEnd } from '../helpers/slack-checks.js';

/*
 * Slack's rate limits under load. Two tasks run at once in one channel, each with many steps
 * (plan updates, commands, narration), so they want far more card edits and thread posts than
 * the budget allows: `updatesPerMinute: 8` for the workspace, `postsPerSecond: 1` for the
 * channel. On top, the fake Slack answers 429 with Retry-After: 2: to the first posts (the
 * root cards), to the first card edits, and to every card edit for five seconds once the
 * cards are up.
 *
 * Proved from what the fake recorded:
 *   - both tasks end with their summary in the thread and their card on Done;
 *   - no more chat.update calls (429'd ones included: they were sent) than the budget in any
 *     60-second window, nor chat.postMessage calls per second in the channel;
 *   - after a 429, nothing in the same bucket is sent again before Retry-After has elapsed.
 */

const UPDATES_PER_MINUTE = 8;
const RETRY_AFTER_SEC = 2;
const STEPS = 6;
/**
 * The budget's clock is the app's, at the moment it grants a call; the fake stamps calls when
 * they arrive, an HTTP hop later. Arrivals of two calls granted exactly one window apart can
 * therefore land a few ms closer than the window, so windows are counted this much shorter.
 */
const ARRIVAL_SLACK_MS = 100;
/** A call granted just before another's 429 came back reaches the fake within this. */
const IN_FLIGHT_MS = 250;

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

/** Each task: STEPS model turns of plan + narration + a command, then a final answer. */
function busyTask(req: RecordedRequest): ScriptReply {
  const input = Array.isArray(req.body?.input) ? (req.body.input as Array<Record<string, unknown>>) : [];
  const done = input.filter((i) => i.type === 'function_call' && i.name === 'shell').length;
  if (done >= STEPS) return reply(message(`All ${STEPS} steps done; nothing needed changing.`));
  const plan = Array.from({ length: STEPS }, (_, i) => ({ step: `Step ${i + 1}`, status: i < done ? 'completed' : i === done ? 'in_progress' : 'pending' }));
  return {
    ...reply(message(`Working on step ${done + 1}.`), functionCall('update_plan', { plan }), functionCall('shell', { command: `echo step ${done + 1} && sleep 0.3` })),
    delayMs: 300,
  };
}

/** The largest number of `calls` whose arrival falls within any window of `windowMs`. */
function busiestWindow(calls: RecordedCall[], windowMs: number): number {
  const times = calls.map((c) => c.at).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs - ARRIVAL_SLACK_MS) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** Which message a call sends or edits: a retry of a call has the same key. */
const messageKey = (c: RecordedCall) =>
  c.method === 'chat.update' ? `update ${String(c.args.channel)} ${String(c.args.ts)}` : `${c.method} ${String(c.args.channel)} ${String(c.args.thread_ts ?? '')} ${String(c.args.text ?? '')}`;

/** For each 429, how long after it the same message was sent again. */
function retryGaps(calls: RecordedCall[]): Array<{ gapMs: number; key: string }> {
  const sorted = [...calls].sort((a, b) => a.at - b.at);
  return sorted.flatMap((c, i) => {
    if (c.status !== 429) return [];
    const retry = sorted.slice(i + 1).find((n) => messageKey(n) === messageKey(c));
    return retry ? [{ gapMs: retry.at - c.at, key: messageKey(c) }] : [];
  });
}

/**
 * Calls of the bucket that arrived while it was paused after a 429, leaving out those that were
 * already on their way when the 429 was answered (granted before the pause existed: another
 * task's call sent at the same moment), which arrive within IN_FLIGHT_MS.
 */
function sentDuringPause(bucket: RecordedCall[]): string[] {
  const sorted = [...bucket].sort((a, b) => a.at - b.at);
  return sorted.flatMap((c) =>
    c.status === 429 ? sorted.filter((n) => n.at > c.at + IN_FLIGHT_MS && n.at < c.at + RETRY_AFTER_SEC * 1_000).map((n) => `${n.method} ${n.at - c.at} ms after a 429`) : [],
  );
}

describe('Slack rate limits', () => {
  it('with 429s and a small budget, both tasks still end on Done with their summaries, within the budget, never retrying before Retry-After', { timeout: 240_000 }, async () => {
    e = await startE2E({
      script: (req) => busyTask(req),
      repoConfig: { slack: { updatesPerMinute: UPDATES_PER_MINUTE, postsPerSecond: 1 } },
    });
    // The first two posts (root cards) are refused, the first three card edits, and then every
    // card edit for five seconds once both cards are up.
    e.fake.rateLimit('chat.postMessage', { retryAfterSec: RETRY_AFTER_SEC, count: 2 });
    e.fake.rateLimit('chat.update', { retryAfterSec: RETRY_AFTER_SEC, count: 3 });
    const acks = await Promise.all([sendCommand(e, 'task check the add function'), sendCommand(e, 'task check the tests')]);
    for (const ack of acks) expect(ack.status).toBe(200);

    const cards = await e.fake.waitFor(() => {
      const roots = e!.fake.messages(FAKE_IDS.channel).filter((m) => m.metadata?.event_type === 'codex_task_status');
      return roots.length === 2 ? roots : undefined;
    }, 30_000);
    e.fake.rateLimit('chat.update', { retryAfterSec: RETRY_AFTER_SEC, forMs: 5_000 });

    for (const card of cards) {
      const taskId = card.metadata!.event_payload.task_id as string;
      // The final edit may wait for the budget's window to move on: up to a minute.
      await waitForJobEnd(e, taskId, 180_000);
      expect((await e.store.getTask(taskId))?.status).toBe('done');
      expect(visibleText(e.fake.message(FAKE_IDS.channel, card.ts)!)).toContain('Done');
      const summary = e.fake.thread(FAKE_IDS.channel, card.ts).filter((m) => m.metadata?.event_type === 'codex_task_summary');
      expect(summary).toHaveLength(1);
      expect(visibleText(summary[0]!)).toContain(`All ${STEPS} steps done`);
    }

    const updates = e.fake.callsTo('chat.update');
    const posts = e.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === FAKE_IDS.channel);
    // The 429s happened (the test exercised them) and were the only failures.
    expect(updates.filter((c) => c.status === 429).length).toBeGreaterThanOrEqual(3);
    expect(posts.filter((c) => c.status === 429)).toHaveLength(2);
    expect(failedCalls(e.fake).filter((c) => c.status !== 429).map((c) => `${c.method} ${String(c.response.error)}`)).toEqual([]);
    expect(limitFailures(e.fake)).toEqual([]);
    // No task was given up on ("couldn't start the task" goes to the response_url).
    expect(e.fake.responses()).toEqual([]);

    // Demand was well over the budget: each task went through dozens of card states.
    expect(e.model.requests.length).toBe(2 * (STEPS + 1));
    // Attempts count against the budget whether Slack took them or not.
    expect(busiestWindow(updates, 60_000)).toBeLessThanOrEqual(UPDATES_PER_MINUTE);
    expect(busiestWindow(posts, 1_000)).toBeLessThanOrEqual(1);
    // Every card got its edits: the budget was shared, not taken by one task.
    for (const card of cards) expect(updates.filter((c) => c.args.ts === card.ts && c.status === 200).length).toBeGreaterThanOrEqual(2);

    // A 429'd call is sent again only after Retry-After, and meanwhile its whole bucket waits:
    // no other card edit, and no other post in the channel (nor the diff upload, which draws
    // from the same bucket).
    const postBucket = e.fake.calls.filter((c) => (c.method === 'chat.postMessage' && c.args.channel === FAKE_IDS.channel) || c.method === 'files.getUploadURLExternal');
    const gaps = [...retryGaps(updates), ...retryGaps(postBucket)];
    expect(gaps.length).toBeGreaterThanOrEqual(5);
    for (const g of gaps) expect(g.gapMs, `${g.key} retried ${g.gapMs} ms after a 429`).toBeGreaterThanOrEqual(RETRY_AFTER_SEC * 1_000);
    expect([...sentDuringPause(updates), ...sentDuringPause(postBucket)]).toEqual([]);
  });
});
