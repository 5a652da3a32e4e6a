import { afterEach, describe, expect, it } from 'vitest';
import { startCodex, type CodexProcess } from '../../src/app.js';
import { silentLogger } from '../../src/logger.js';
import { functionCall, message, reply, userMessages, type RecordedRequest } from '../fakes/model-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { carriesCompaction, carriesSummary, isSummaryRequest, LONG_TASK_DONE, longTask } from '../helpers/long-task.js';
import { shown, startTask, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * Context compaction end to end: a scripted task whose requests add up to more than ten context
 * windows completes, compacting whenever a response's input reaches budgets.compactAtTokens;
 * with the compact endpoint, and with the in-band hand-off summary where the server has none;
 * and a turn taken over by another worker after a compaction resumes from the compacted form.
 */

let e: E2E | undefined;
let second: CodexProcess | undefined;
afterEach(async () => {
  await second?.stop(5_000);
  second = undefined;
  await e?.cleanup();
  e = undefined;
});

const WINDOW = 8000;
const { channel } = FAKE_IDS;
const budgets = { maxSteps: 80, maxMinutes: 10, contextWindowTokens: WINDOW };
const responsesCalls = (e: E2E) => e.model.requests.filter((r) => r.path.startsWith('/v1/responses') && !r.path.startsWith('/v1/responses/compact'));
const compactCalls = (e: E2E) => e.model.requests.filter((r) => r.path.startsWith('/v1/responses/compact'));
const inputTokens = (r: RecordedRequest) => r.usage?.input_tokens ?? 0;

async function thread(e: E2E, ts: string): Promise<string[]> {
  return e.fake.thread(channel, ts).map(shown);
}

describe('context compaction', () => {
  it('runs a task of more than ten windows through the compact endpoint: every request fits, one summary, the thread says how much', { timeout: 240_000 }, async () => {
    const task = longTask(26);
    e = await startE2E({ script: task.script, repoConfig: { budgets }, model: { contextWindowTokens: WINDOW } });
    const { taskId, card } = await startTask(e, 'run the long job');
    await waitStatus(e, taskId, 'done', 200_000);

    const calls = responsesCalls(e);
    const total = calls.reduce((sum, r) => sum + inputTokens(r), 0);
    expect(total).toBeGreaterThanOrEqual(10 * WINDOW);
    // Every request was answered (none refused as too long) and stayed under the window.
    for (const r of calls) expect(r.usage && inputTokens(r)).toBeLessThan(WINDOW);
    expect(calls.every((r) => r.usage !== undefined)).toBe(true);
    const compacted = (await e.store.readEvents(taskId)).filter((ev) => ev.type === 'context_compacted');
    expect(compacted.length).toBeGreaterThanOrEqual(2);
    expect(compacted.length).toBe(compactCalls(e).length);
    for (const ev of compacted) {
      expect(ev).toMatchObject({ method: 'endpoint' });
      if (ev.type === 'context_compacted') {
        expect(ev.tokensBefore).toBeGreaterThanOrEqual(0.8 * WINDOW);
        expect(ev.tokensAfter).toBeLessThan(ev.tokensBefore / 2);
      }
    }
    expect(task.summaries).toBe(0);
    // After each compaction the model gets the compaction item, and the original ask first.
    const after = calls.filter(carriesCompaction);
    expect(after.length).toBeGreaterThan(0);
    for (const r of after) expect(userMessages(r)[0]).toContain('run the long job');
    // The request right after a compaction is measured by the server, and is well under the threshold.
    const firstAfter = calls.findIndex(carriesCompaction);
    expect(inputTokens(calls[firstAfter]!)).toBeLessThan(0.6 * WINDOW);

    const events = await e.store.readEvents(taskId);
    expect(events.filter((ev) => ev.type === 'task_completed')).toHaveLength(1);
    expect(events.find((ev) => ev.type === 'task_completed')).toMatchObject({ summary: LONG_TASK_DONE });
    const posts = await e.fake.waitFor(async () => {
      const t = await thread(e!, card.ts);
      return t.filter((m) => m.includes('Compacted the conversation')).length === compacted.length && t;
    }, 30_000);
    expect(posts.find((m) => m.includes('Compacted the conversation'))).toMatch(/Compacted the conversation: [\d.]+k → [\d.]+k tokens/);
    expect(posts.filter((m) => m.includes(LONG_TASK_DONE))).toHaveLength(1);
  });

  it('falls back to an in-band hand-off summary where the server has no compact endpoint', { timeout: 240_000 }, async () => {
    const task = longTask(26);
    e = await startE2E({ script: task.script, repoConfig: { budgets }, model: { compact: 'missing', contextWindowTokens: WINDOW } });
    const { taskId, card } = await startTask(e, 'run the long job without compact');
    await waitStatus(e, taskId, 'done', 200_000);

    const calls = responsesCalls(e);
    expect(calls.reduce((sum, r) => sum + inputTokens(r), 0)).toBeGreaterThanOrEqual(10 * WINDOW);
    // Every request was answered (none refused as too long) and stayed under the window.
    for (const r of calls) expect(r.usage && inputTokens(r)).toBeLessThan(WINDOW);
    expect(calls.every((r) => r.usage !== undefined)).toBe(true);
    // The endpoint was tried once, answered 404, and not asked again.
    expect(compactCalls(e)).toHaveLength(1);
    const compacted = (await e.store.readEvents(taskId)).filter((ev) => ev.type === 'context_compacted');
    expect(compacted.length).toBeGreaterThanOrEqual(2);
    for (const ev of compacted) expect(ev).toMatchObject({ method: 'summary' });
    expect(task.summaries).toBe(compacted.length);

    const first = calls[0]!;
    const summaryRequests = calls.filter(isSummaryRequest);
    expect(summaryRequests).toHaveLength(compacted.length);
    for (const r of summaryRequests) {
      // Same instructions and tools byte for byte (the prompt cache covers them), no tool calls allowed.
      expect(r.body.tool_choice).toBe('none');
      expect(r.body.instructions).toBe(first.body.instructions);
      expect(JSON.stringify(r.body.tools)).toBe(JSON.stringify(first.body.tools));
    }
    const resumed = calls.filter((r) => carriesSummary(r) && !isSummaryRequest(r));
    expect(resumed.length).toBeGreaterThan(0);
    for (const r of resumed) {
      // The original ask, byte for byte, then the summary and the latest items.
      expect(r.body.input[0]).toEqual(first.body.input[0]);
      expect(r.body.instructions).toBe(first.body.instructions);
      expect(userMessages(r).filter((m) => m.includes('Done: steps 1 to'))).toHaveLength(1);
      // Most of the request is a cached prefix of the summary request before it.
      expect(r.usage!.cached_tokens).toBeGreaterThan(0);
    }
    const right = calls[calls.indexOf(summaryRequests[0]!) + 1]!;
    expect(right.body.input.some((i: { type?: string }) => i.type === 'function_call_output')).toBe(true);

    const events = await e.store.readEvents(taskId);
    expect(events.filter((ev) => ev.type === 'task_completed')).toHaveLength(1);
    const posts = await e.fake.waitFor(async () => {
      const t = await thread(e!, card.ts);
      return t.filter((m) => m.includes('Compacted the conversation')).length === compacted.length && t;
    }, 30_000);
    expect(posts.find((m) => m.includes('Compacted the conversation'))).toContain('summarized its work');
    // The summary itself is never narrated in the thread.
    expect(posts.some((m) => m.includes('Done: steps 1 to'))).toBe(false);
  });

  it('a turn taken over by another worker after a compaction resumes from the compacted conversation', { timeout: 240_000 }, async () => {
    let compactedSeen = false;
    const task = longTask(40, {
      step: (_n, req) => {
        if (userMessages(req).some((m) => m.includes('The worker running this task restarted'))) return reply(message(LONG_TASK_DONE));
        if (carriesSummary(req) && !compactedSeen) {
          compactedSeen = true;
          return reply(functionCall('shell', { command: 'sleep 60', timeout_ms: 90_000 }));
        }
        return undefined;
      },
    });
    e = await startE2E({ script: task.script, repoConfig: { budgets }, model: { compact: 'missing', contextWindowTokens: WINDOW } });
    const { taskId } = await startTask(e, 'run the long job and survive a restart');
    await waitEvent(e, taskId, 'command_started', (ev) => ev.command === 'sleep 60', 200_000);
    const saved = await e.store.load(taskId);
    expect(saved!.items.some((i) => typeof i.content === 'string' && i.content.includes('Done: steps 1 to'))).toBe(true);
    const early = JSON.stringify(saved!.items);
    expect(early).not.toContain('step 1 line 1:');

    second = await startCodex(e.config, silentLogger());
    await e.codex.worker!.stop(30_000, 0);
    await waitStatus(e, taskId, 'done', 120_000);

    const calls = responsesCalls(e);
    const resumedCall = calls.find((r) => userMessages(r).some((m) => m.includes('The worker running this task restarted')))!;
    expect(resumedCall).toBeDefined();
    expect(carriesSummary(resumedCall)).toBe(true);
    expect(JSON.stringify(resumedCall.body.input)).not.toContain('step 1 line 1:');
    expect(inputTokens(resumedCall)).toBeLessThan(WINDOW);
    const events = await e.store.readEvents(taskId);
    expect(events.filter((ev) => ev.type === 'task_completed')).toHaveLength(1);
  });
});
