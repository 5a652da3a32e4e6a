import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply, toolOutputs, type Script } from '../fakes/model-server.js';
import { FAKE_IDS, slash, startE2E, type E2E } from '../helpers/e2e.js';

/*
 * Twenty tasks at once on one host, in one channel, against a fake Slack that holds the app to
 * Slack's published rate limits (tests/fakes/slack-tiers.ts: chat.postMessage one a second per
 * channel after a short burst, chat.update 50 a minute, conversations.replies 50 a minute,
 * views.publish 100 a minute, …): every card ends Done, every thread gets its one summary, and
 * Slack never answered 429.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const TASKS = 20;
const texts = (m: { text: string; blocks?: unknown[] }) => JSON.stringify(m.blocks ?? []) + m.text;
/** Each task: one command, then a final answer. */
const script: Script = (req) => (toolOutputs(req).length === 0 ? reply(functionCall('shell', { command: 'echo ran' })) : reply(message('Done here.')));

describe('20 parallel tasks on one host', () => {
  it('brings every card to its final state with zero Slack 429s under the published limits', { timeout: 1_200_000 }, async () => {
    // One person starts all twenty: the per-person cap of queued tasks (default 10) is raised.
    e = await startE2E({ script, slack: { publishedLimits: true }, env: { WORKER_CONCURRENCY: String(TASKS) }, repoConfig: { limits: { maxQueuedTasksPerUser: TASKS } } });
    const acks = await Promise.all(Array.from({ length: TASKS }, (_, i) => slash(e!, `task parallel job number ${i}`)));
    expect(acks.map((a) => a.status)).toEqual(Array(TASKS).fill(200));
    expect(acks.map((a) => a.body)).toEqual(Array(TASKS).fill(''));

    const roots = await e.fake
      .waitFor(() => {
        const list = e!.fake.messages(FAKE_IDS.channel).filter((m) => !m.thread_ts && m.metadata?.event_type === 'codex_task_status');
        return list.length === TASKS ? list : undefined;
      }, 240_000)
      .catch((err: Error) => {
        const limited = e!.fake.calls.filter((c) => c.status === 429).map((c) => c.method);
        const posted = e!.fake.messages(FAKE_IDS.channel).filter((m) => !m.thread_ts).length;
        throw new Error(`${err.message}\nroots posted: ${posted}; 429s: ${JSON.stringify(limited)}; responses: ${JSON.stringify(e!.fake.responsesReceived.map((r) => r.body)).slice(0, 2000)}`);
      });
    const ids = roots.map((r) => r.metadata!.event_payload.task_id as string);
    expect(new Set(ids).size).toBe(TASKS);

    await e.fake.waitFor(async () => {
      const tasks = await Promise.all(ids.map((id) => e!.store.getTask(id)));
      return tasks.every((t) => t?.status === 'done') ? true : undefined;
    }, 480_000);
    // Every card shows its final state, and every thread has exactly one summary.
    await e.fake.waitFor(() => roots.every((r) => texts(e!.fake.message(FAKE_IDS.channel, r.ts)!).includes('Done')) || undefined, 240_000);
    await e.fake.waitFor(() => roots.every((r) => e!.fake.thread(FAKE_IDS.channel, r.ts).some((m) => m.metadata?.event_type === 'codex_task_summary')) || undefined, 240_000);
    for (const r of roots) expect(e.fake.thread(FAKE_IDS.channel, r.ts).filter((m) => m.metadata?.event_type === 'codex_task_summary')).toHaveLength(1);
    // Each task ran once: two model requests apiece.
    expect(e.model.requests).toHaveLength(2 * TASKS);

    const limited = e.fake.calls.filter((c) => c.status === 429);
    expect(limited.map((c) => c.method)).toEqual([]);
  });
});
