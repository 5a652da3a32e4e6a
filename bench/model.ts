import type { RecordedRequest } from '../tests/fakes/model-server.js';
import { functionCall, message, reply } from '../tests/fakes/model-server.js';
import { startHarness, type HarnessOptions } from '../tests/agent/support/harness.js';
import { FIX_PATCH } from '../tests/helpers/e2e.js';
import { isSummaryRequest, longTask } from '../tests/helpers/long-task.js';
import { median } from './stats.js';

/*
 * What the model is sent, measured on the scripted model server (its usage: input tokens =
 * request characters / 4, cached tokens = the prefix shared with the previous request of the
 * task). The agent runs for real (Docker sandbox, Redis, the openai SDK):
 *
 * - the long scripted task (tests/helpers/long-task.ts) with an 8k window, compacting through
 *   the compact endpoint and in-band, beside the same task with a window it never fills;
 * - an ordinary task (read, patch, test, answer): how much of each request repeats the
 *   previous one, which is what the prompt cache can reuse.
 */

export interface ModelRun {
  /** `/responses` and `/responses/compact` calls. */
  requests: number;
  compactCalls: number;
  inputTokens: number;
  largest: number;
  /** cached / input of the first request after each compaction. */
  cachedShareRightAfter: number[];
  /** cached / input of every request after the first compaction (or every request but the first). */
  cachedShareAfter: number[];
  compactions: number;
}

const WINDOW = 8000;

async function runLong(steps: number, how: 'endpoint' | 'summary' | 'none'): Promise<ModelRun> {
  const task = longTask(steps);
  const options: HarnessOptions = {
    script: task.script,
    budgets: { maxSteps: steps * 3, maxTokens: 50_000_000, maxTaskTokens: 50_000_000, contextWindowTokens: how === 'none' ? 10_000_000 : WINDOW },
    model: how === 'summary' ? { compact: 'missing' } : {},
  };
  const h = await startHarness(options);
  try {
    const outcome = await h.run();
    if (outcome.status !== 'completed' || outcome.budget) throw new Error(`long task (${how}) ended ${JSON.stringify(outcome)}`);
    const all = h.server.requests.filter((r) => r.usage !== undefined);
    const responses = all.filter((r) => r.path === '/v1/responses');
    const compacts = all.filter((r) => r.path.startsWith('/v1/responses/compact'));
    const share = (r: RecordedRequest) => r.usage!.cached_tokens / r.usage!.input_tokens;
    // A request is "right after" a compaction when the call before it compacted (endpoint) or summarized (in-band).
    const rightAfter = all.filter((r, i) => i > 0 && r.path === '/v1/responses' && !isSummaryRequest(r) && (all[i - 1]!.path.startsWith('/v1/responses/compact') || isSummaryRequest(all[i - 1]!)));
    const firstCompaction = all.findIndex((r) => r.path.startsWith('/v1/responses/compact') || isSummaryRequest(r));
    const after = how === 'none' ? responses.slice(1) : all.slice(firstCompaction + 1).filter((r) => r.path === '/v1/responses' && !isSummaryRequest(r));
    return {
      requests: all.length,
      compactCalls: compacts.length,
      inputTokens: all.reduce((sum, r) => sum + r.usage!.input_tokens, 0),
      largest: Math.max(...all.map((r) => r.usage!.input_tokens)),
      cachedShareRightAfter: rightAfter.map(share),
      cachedShareAfter: after.map(share),
      compactions: h.events.of('context_compacted').length,
    };
  } finally {
    await h.cleanup();
  }
}

/** Of each request after the first: the share of the previous request it repeats as its prefix, and cached / input. */
async function runOrdinary(): Promise<{ repeated: number[]; cached: number[]; requests: number }> {
  const h = await startHarness({
    script: [
      reply(message('Reading the code.'), functionCall('shell', { command: 'cat src/math.js test/math.test.js' })),
      reply(message('add subtracts; fixing it.'), functionCall('apply_patch', { input: FIX_PATCH })),
      reply(functionCall('shell', { command: 'node --test' })),
      reply(functionCall('shell', { command: 'git diff --stat' })),
      reply(message('Fixed add: it subtracted. node --test passes.')),
    ],
  });
  try {
    const outcome = await h.run();
    if (outcome.status !== 'completed') throw new Error(`ordinary task ended ${JSON.stringify(outcome)}`);
    const reqs = h.server.requests.filter((r) => r.path === '/v1/responses' && r.usage !== undefined);
    const prompt = (r: RecordedRequest) => JSON.stringify([r.body.instructions ?? null, r.body.tools ?? null, r.body.input]);
    const repeated = reqs.slice(1).map((r, i) => {
      const prev = prompt(reqs[i]!);
      const next = prompt(r);
      let n = 0;
      while (n < prev.length && prev[n] === next[n]) n += 1;
      // The previous request's closing brackets are where the new items begin: not a change.
      return Math.min(1, n / (prev.length - 2));
    });
    return { repeated, cached: reqs.slice(1).map((r) => r.usage!.cached_tokens / r.usage!.input_tokens), requests: reqs.length };
  } finally {
    await h.cleanup();
  }
}

export async function benchModel(steps: number): Promise<{ endpoint: ModelRun; summary: ModelRun; none: ModelRun; ordinary: Awaited<ReturnType<typeof runOrdinary>> }> {
  const endpoint = await runLong(steps, 'endpoint');
  const summary = await runLong(steps, 'summary');
  const none = await runLong(steps, 'none');
  const ordinary = await runOrdinary();
  return { endpoint, summary, none, ordinary };
}

export const share = (values: number[]) => (values.length === 0 ? 'n/a' : median(values).toFixed(2));
export const minShare = (values: number[]) => (values.length === 0 ? 'n/a' : Math.min(...values).toFixed(3));
