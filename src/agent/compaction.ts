import type OpenAI from 'openai';
import { z } from 'zod';
import { COMPACT_AT_SHARE } from '../config.js';
import { buildInBand, fitForSummary, TokenMeter } from './compaction-items.js';
import { callModel, messageText, type InputItem } from './model-client.js';
import { COMPACTION_REQUEST, EMPTY_SUMMARY, SUMMARY_CUT_NOTE } from './prompts.js';
import { saveSession, type Session } from './session.js';

/*
 * Context compaction. Once a response's input reaches `budgets.compactAtTokens`, the loop
 * compacts before its next request, so a task can run far past one context window:
 *
 * - with a server that has the Responses API's compact endpoint (`POST /responses/compact`,
 *   as Codex uses it), the conversation becomes what it returns: the user messages and one
 *   opaque `compaction` item that carries the rest;
 * - elsewhere (404/405/501: remembered per server and model), the model writes a hand-off
 *   summary in-band (same instructions and tools, tool_choice none: the prompt cache still
 *   covers them), and the conversation goes on from the original ask, the people's later
 *   words, the summary and the latest items (src/agent/compaction-items.ts).
 *
 * The compacted conversation replaces the saved one (a resumed run starts from it), and
 * `context_compacted` tells the thread. Never a loop: a compaction only follows a response (or
 * a request the server refused as too long), the second one in a row is in-band and keeps no
 * latest items,
 * and after that compaction rests until a response comes in under the threshold again.
 */

/** The compaction state of a run. */
export interface CompactionState {
  meter: TokenMeter;
  /** Input tokens of the response that reached the threshold: compact before the next request. */
  due?: number;
  /** Compactions in a row whose next response was still over the threshold. */
  ineffective: number;
  /** The last request was the first after a compaction. */
  justCompacted: boolean;
  /**
   * Tokens of a request the server refused as too long (context_length_exceeded): its window
   * is smaller than configured, so the window and the threshold are taken below this from then on.
   */
  refusedAt?: number;
}

/** The context window the run works with: the configured one, or less after a refusal. */
export function windowTokens(s: Session): number {
  const refused = s.compaction.refusedAt;
  return refused === undefined ? s.task.budgets.contextWindowTokens : Math.min(s.task.budgets.contextWindowTokens, Math.floor(refused * 0.95));
}

/** The threshold the run works with: `budgets.compactAtTokens`, kept at 80% of a smaller learned window. */
function compactAtTokens(s: Session): number {
  return Math.min(s.task.budgets.compactAtTokens, Math.floor(windowTokens(s) * COMPACT_AT_SHARE));
}

export function newCompactionState(): CompactionState {
  return { meter: new TokenMeter(), ineffective: 0, justCompacted: false };
}

/** After each response: calibrates the meter and decides whether the next request compacts first. */
export function noteResponse(s: Session, sentChars: number, inputTokens: number): void {
  const c = s.compaction;
  c.meter.calibrate(sentChars, inputTokens);
  const over = inputTokens >= compactAtTokens(s);
  if (!over) c.ineffective = 0;
  else if (c.justCompacted) c.ineffective += 1;
  c.justCompacted = false;
  // Two compactions in a row that did not help: stop compacting (each would cost a request for nothing).
  c.due = over && c.ineffective < 2 ? inputTokens : undefined;
  if (over && c.ineffective >= 2) s.logger.warn({ inputTokens }, 'compaction did not bring the conversation under the threshold; not compacting again until it is');
}

/** Servers (and models) whose compact endpoint is missing: compaction goes in-band there. */
const WITHOUT_COMPACT_ENDPOINT = new Set<string>();

const compactedSchema = z.object({
  output: z.array(z.looseObject({ type: z.string().optional(), role: z.string().optional() })).min(1),
  usage: z.object({ input_tokens: z.number(), output_tokens: z.number(), input_tokens_details: z.object({ cached_tokens: z.number() }).partial().optional() }).optional(),
});

/**
 * Compacts the conversation now. Returns false when an interrupt or a cancel aborted it (the
 * conversation is unchanged); throws a CodexError when the summary request fails for good.
 */
export async function compact(s: Session, tokensBefore: number): Promise<boolean> {
  const c = s.compaction;
  // The compacted input takes at most half the room the threshold leaves beside instructions
  // and tools, so the task works a while before the next compaction.
  const overhead = c.meter.tokens(TokenMeter.chars({ ...s.request, input: [] }));
  const maxChars = c.meter.charsFor(Math.max(0, Math.floor((compactAtTokens(s) - overhead) / 2)));
  // After one that did not help, the endpoint (whose output the server decides) is passed over.
  const endpoint = c.ineffective === 0 ? await viaEndpoint(s) : undefined;
  if (endpoint === 'aborted') return false;
  let items = endpoint;
  if (!items) {
    const summary = await inBandSummary(s);
    if (summary === undefined) return false;
    // A summary longer than half the target is cut: the latest items matter more than its tail.
    const cut = Math.max(2000, Math.floor(maxChars / 2));
    const kept = summary.length > cut ? `${summary.slice(0, cut)}\n${SUMMARY_CUT_NOTE}` : summary;
    items = buildInBand({ items: s.conversation.items, summary: kept, maxChars, keepRecent: c.ineffective === 0 });
  }
  const tokensAfter = c.meter.tokens(TokenMeter.chars({ ...s.request, input: items }));
  s.conversation.replace(items);
  c.due = undefined;
  c.justCompacted = true;
  await saveSession(s); // the compacted form is what a resumed run starts from
  await s.emit({ type: 'context_compacted', tokensBefore, tokensAfter, method: endpoint ? 'endpoint' : 'summary' });
  s.logger.info({ tokensBefore, tokensAfter, method: endpoint ? 'endpoint' : 'summary', items: items.length }, 'conversation compacted');
  return true;
}

/** The compact endpoint's conversation, undefined when the server has none (or it failed), 'aborted' on interrupt. */
async function viaEndpoint(s: Session): Promise<InputItem[] | undefined | 'aborted'> {
  const openai: OpenAI = s.deps.openai;
  const key = `${openai.baseURL}|${s.request.model}`;
  if (WITHOUT_COMPACT_ENDPOINT.has(key)) return undefined;
  try {
    const raw = await openai.responses.compact(
      { model: s.request.model, instructions: s.request.instructions, input: s.conversation.items, prompt_cache_key: s.request.promptCacheKey },
      { signal: s.control.stepSignal, maxRetries: 1 },
    );
    const parsed = compactedSchema.safeParse(raw);
    if (!parsed.success || !parsed.data.output.some((i) => i.type === 'compaction')) {
      s.logger.warn({ issues: parsed.success ? 'no compaction item' : parsed.error.issues }, 'compact endpoint answered something unexpected; compacting in-band');
      return undefined;
    }
    const u = parsed.data.usage;
    if (u) addUsage(s, { inputTokens: u.input_tokens, cachedInputTokens: u.input_tokens_details?.cached_tokens ?? 0, outputTokens: u.output_tokens });
    return parsed.data.output as unknown as InputItem[];
  } catch (e) {
    if (s.control.stepSignal.aborted) return 'aborted';
    const status = (e as { status?: number }).status;
    if (status === 404 || status === 405 || status === 501) {
      WITHOUT_COMPACT_ENDPOINT.add(key);
      s.logger.info({ status }, 'the model server has no compact endpoint; compacting in-band from now on');
    } else {
      s.logger.warn({ err: e }, 'compact endpoint failed; compacting in-band this time');
    }
    return undefined;
  }
}

/** Asks the model for its hand-off summary (no tool calls); undefined when aborted. */
async function inBandSummary(s: Session): Promise<string | undefined> {
  const window = windowTokens(s);
  const c = s.compaction;
  // The request must fit the window with room for the summary itself.
  const room = c.meter.charsFor(Math.floor(window * 0.85)) - TokenMeter.chars({ ...s.request, input: [] });
  const input = [...fitForSummary(s.conversation.items, room), { role: 'user' as const, type: 'message' as const, content: COMPACTION_REQUEST }];
  const response = await callModel(
    s.deps.openai,
    { ...s.request, input, toolChoice: 'none' },
    {
      signal: s.control.stepSignal,
      logger: s.logger,
      retryWithin: { remainingMs: () => s.budget.remainingMs(), budgetMinutes: s.task.budgets.maxMinutes },
      onRetry: (retry) => s.emit({ type: 'model_retrying', ...retry }),
    },
  );
  if (!response) return undefined;
  // tool_choice none: a server that still calls a tool gets its calls ignored; only the text counts.
  addUsage(s, response.usage);
  return response.output.map(messageText).join('\n').trim() || EMPTY_SUMMARY;
}

function addUsage(s: Session, u: { inputTokens: number; cachedInputTokens: number; outputTokens: number }): void {
  s.conversation.addUsage(u);
  s.budget.addTokens(u.inputTokens + u.outputTokens);
}
