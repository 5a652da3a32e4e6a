import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, httpError, message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { current, startTask, versions, waitEvent, waitShows, waitStatus } from '../helpers/thread.js';

/*
 * The model API failing for a while (5xx and 429 storms from the fake model server): the task
 * waits with "Model unavailable, retrying" on its card and carries on when the API is back; an
 * outage that outlasts the turn's time budget ends the turn with a sentence saying so.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const STORM = [
  httpError(503, 'The server is overloaded', { headers: { 'retry-after-ms': '200' } }),
  httpError(429, 'Rate limit reached for requests', { code: 'rate_limit_exceeded', headers: { 'retry-after': '1' } }),
  httpError(502, 'Bad gateway', { headers: { 'retry-after-ms': '200' } }),
];

describe('the model API failing for a while', () => {
  it('shows the retrying state on the card, keeps retrying past the old attempt limit, and completes once the API is back', { timeout: 150_000 }, async () => {
    e = await startE2E({
      script: [
        () => {
          // The storm starts right after the turn's first answer.
          e!.model.startOutage(STORM);
          return reply(functionCall('shell', { command: 'cat src/math.js' }));
        },
        reply(message('Read `src/math.js`; nothing to change.')),
      ],
    });
    const { taskId, card } = await startTask(e, 'look at the math module');

    await waitShows(e, FAKE_IDS.channel, card.ts, 'Model unavailable, retrying', 60_000);
    // Well past the four attempts a call used to get before the task failed.
    await e.fake.waitFor(() => e!.model.outageAnswers >= 7, 60_000);
    expect((await e.store.getTask(taskId))?.status).toBe('working');
    e.model.endOutage();

    await waitStatus(e, taskId, 'done', 60_000);
    await waitShows(e, FAKE_IDS.channel, card.ts, 'Done');
    expect(current(e, FAKE_IDS.channel, card.ts)).not.toContain('Model unavailable');
    const shownRetry = versions(e, FAKE_IDS.channel, card.ts).find((v) => v.includes('Model unavailable, retrying'))!;
    expect(shownRetry).toMatch(/HTTP (503|429 rate limited|502); \d+ failed attempts? so far; next try in \d+ s/);

    const events = await e.store.readEvents(taskId);
    const retries = events.filter((ev) => ev.type === 'model_retrying');
    expect(retries.map((r) => r.attempt)).toEqual(retries.map((_, i) => i + 1));
    expect(retries.length).toBeGreaterThanOrEqual(7);
    // The server's Retry-After is what the task waits.
    expect(retries.find((r) => r.reason === 'HTTP 429 rate limited')?.retryInMs).toBe(1000);
    expect(retries.find((r) => r.reason === 'HTTP 503')?.retryInMs).toBe(200);
    expect(retries.find((r) => r.reason === 'HTTP 502')?.retryInMs).toBe(200);
    // One summary, after the outage.
    await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, card.ts).some((m) => m.metadata?.event_type === 'codex_task_summary'), 20_000);
    const summaries = e.fake.thread(FAKE_IDS.channel, card.ts).filter((m) => m.metadata?.event_type === 'codex_task_summary');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.text + JSON.stringify(summaries[0]!.blocks)).toContain('nothing to change');
  });

  it('ends the turn at its time budget when the outage lasts, with a sentence saying so', { timeout: 150_000 }, async () => {
    e = await startE2E({
      script: [],
      repoConfig: { budgets: { maxSteps: 30, maxMinutes: 0.1 } },
    });
    e.model.startOutage(STORM);
    const { taskId, card } = await startTask(e, 'look at the math module');

    await waitShows(e, FAKE_IDS.channel, card.ts, 'Model unavailable, retrying', 60_000);
    const failed = await waitEvent(e, taskId, 'task_failed', () => true, 60_000);
    expect(failed.message).toMatch(/^The model API was unavailable \(HTTP (503|429 rate limited|502)\) for the rest of this turn's time budget \(0\.1 minutes\): \d+ attempts failed, so the turn stopped\./);
    const retries = (await e.store.readEvents(taskId)).filter((ev) => ev.type === 'model_retrying');
    expect(retries.length).toBeGreaterThanOrEqual(4);
    await waitStatus(e, taskId, 'failed');
    const shownNow = await waitShows(e, FAKE_IDS.channel, card.ts, 'Failed');
    expect(shownNow).toContain('was unavailable');
    expect(shownNow).not.toContain('Model unavailable, retrying');
  });
});
