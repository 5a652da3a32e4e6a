import { afterEach, describe, expect, it } from 'vitest';
import { carriesSummary, LONG_TASK_DONE, longTask } from '../helpers/long-task.js';
import { startHarness, type Harness } from './support/harness.js';

/*
 * Compaction inside one agent run (real Docker sandbox, real Redis, the scripted model server
 * through the real openai SDK): a server whose window is smaller than the configuration says
 * refuses a request as too long; the agent compacts and goes on instead of failing the task.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe('compaction when the server refuses a request as too long', () => {
  it('compacts in-band, sends again, learns the smaller window and completes', { timeout: 180_000 }, async () => {
    const task = longTask(16);
    // Configured: the default window (272k); the server's: 8000 tokens, and no compact endpoint.
    h = await startHarness({ script: task.script, budgets: { maxSteps: 60 }, model: { compact: 'missing', contextWindowTokens: 8000 } });
    const outcome = await h.run();
    expect(outcome).toEqual({ status: 'completed', summary: LONG_TASK_DONE });

    const refused = h.server.requests.filter((r) => r.path === '/v1/responses' && r.usage === undefined);
    expect(refused).toHaveLength(1);
    const compacted = h.events.of('context_compacted');
    // The refusal compacted once; from then on the threshold sits below the learned window, so
    // later compactions come before any refusal.
    expect(compacted.length).toBeGreaterThanOrEqual(2);
    expect(compacted.every((c) => c.method === 'summary')).toBe(true);
    const answered = h.server.requests.filter((r) => r.usage !== undefined);
    expect(answered.every((r) => r.usage!.input_tokens < 8000)).toBe(true);
    expect(answered.some(carriesSummary)).toBe(true);
    // The saved conversation is the compacted one.
    const saved = await h.store.load(h.task.taskId);
    expect(JSON.stringify(saved!.items)).not.toContain('step 1 line 1:');
    expect(saved!.usage.inputTokens).toBe(answered.reduce((sum, r) => sum + r.usage!.input_tokens, 0));
  });
});

describe('a compaction that cannot get under the threshold', () => {
  it('tries the endpoint once, then in-band without latest items, then stops compacting: no loop, the task completes', { timeout: 180_000 }, async () => {
    const task = longTask(6, { lineCount: 5 });
    // The instructions and tools alone are over this threshold: no compaction can get under it.
    h = await startHarness({ script: task.script, budgets: { maxSteps: 30, contextWindowTokens: 100_000, compactAtTokens: 1000 } });
    const outcome = await h.run();
    expect(outcome).toEqual({ status: 'completed', summary: LONG_TASK_DONE });
    expect(h.events.of('context_compacted').map((c) => c.method)).toEqual(['endpoint', 'summary']);
    expect(h.server.requests.filter((r) => r.path.startsWith('/v1/responses/compact'))).toHaveLength(1);
    expect(task.summaries).toBe(1);
    // Six steps and the answer, plus the one summary request.
    expect(h.server.requests.filter((r) => r.path === '/v1/responses')).toHaveLength(8);
  });
});
