import type OpenAI from 'openai';
import type { Logger } from '../logger.js';
import { StreamFailure, outageOutlasted, retryDelayMs, retryReason, toModelError } from './model-errors.js';
import { sleep } from './stop-reason.js';

/*
 * One model call over the Responses API, streamed, with our own retries (the SDK's are turned
 * off per call so that an interrupt also stops a backoff wait, and so that a stream that dies
 * half-way is retried too). Requests are stateless (`store: false`): the caller sends the whole
 * input each time and gets back the output items to append to it, encrypted reasoning included.
 */

export type InputItem = OpenAI.Responses.ResponseInputItem;
export type OutputItem = OpenAI.Responses.ResponseOutputItem;
export type FunctionToolSpec = OpenAI.Responses.FunctionTool;
/** A tool offered to the model: one of ours (a function) or a hosted one (web_search). */
export type ToolSpec = OpenAI.Responses.Tool;
export type WebSearchItem = OpenAI.Responses.ResponseFunctionWebSearch;

/** Token counts of one response. */
export interface CallUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

/** What stays byte-identical across the calls of a task, so the prompt cache stays warm. */
export interface ModelRequest {
  model: string;
  instructions: string;
  tools: ToolSpec[];
  /** Grows by appending only; each call sends all of it. */
  input: InputItem[];
  /** The task id: routes every call of the task to the same prompt cache. */
  promptCacheKey: string;
  /** `none`: the model may not call a tool (a compaction's summary request); `auto` otherwise. */
  toolChoice?: 'auto' | 'none';
}

export interface ModelResponse {
  /** Completed output items, in output order, ready to append to the input. */
  output: OutputItem[];
  usage: CallUsage;
  /** The model that answered, as the response names it (may differ from the one asked for). */
  model?: string;
}

export interface CallOptions {
  signal: AbortSignal;
  /** Called when a message item is complete (not per delta). */
  onMessage?: (text: string) => void | Promise<void>;
  /** Called when a hosted web search item is complete. */
  onWebSearch?: (item: WebSearchItem) => void | Promise<void>;
  logger?: Logger;
  /** Attempts in all, including the first (default 4); ignored with `retryWithin`. */
  maxAttempts?: number;
  /**
   * Keep retrying (capped backoff, the server's Retry-After honoured) while the time left says a
   * next attempt can still start: an outage of the model API waits as long as the turn may.
   */
  retryWithin?: { remainingMs: () => number; budgetMinutes: number };
  /** Called before each wait for a retry. */
  onRetry?: (retry: { attempt: number; retryInMs: number; reason: string }) => void | Promise<void>;
}

/** What a web search item did, for people: its action and the query, page or pattern. */
export function webSearchSummary(item: WebSearchItem): { action: 'search' | 'open_page' | 'find_in_page'; detail: string; ok: boolean } {
  const a = item.action;
  const ok = item.status === 'completed';
  if (!a) return { action: 'search', detail: '', ok };
  if (a.type === 'open_page') return { action: 'open_page', detail: a.url ?? '', ok };
  if (a.type === 'find_in_page') return { action: 'find_in_page', detail: `${a.pattern} in ${a.url}`, ok };
  return { action: 'search', detail: (a.queries?.length ? a.queries.join(' · ') : a.query) ?? '', ok };
}

/** Joins the text (and refusal) parts of an output message. */
export function messageText(item: OutputItem): string {
  if (item.type !== 'message') return '';
  return item.content.map((part) => (part.type === 'output_text' ? part.text : part.refusal)).join('');
}

/**
 * Calls the model, retrying when a retry can help. Resolves `undefined` when `signal` aborted
 * the call (an interrupt or a cancel); throws a CodexError otherwise.
 */
export async function callModel(client: OpenAI, request: ModelRequest, options: CallOptions): Promise<ModelResponse | undefined> {
  const maxAttempts = options.maxAttempts ?? 4;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await streamOnce(client, request, options);
    } catch (e) {
      if (options.signal.aborted) return undefined;
      const model = modelKey(client, request.model);
      if (!WITHOUT_ENCRYPTED_REASONING.has(model) && rejectsEncryptedReasoning(e)) {
        // A model without reasoning (or a compatible server without it) refuses the include:
        // ask again without it, and never ask that model for it again.
        WITHOUT_ENCRYPTED_REASONING.add(model);
        options.logger?.info({ model: request.model }, 'model does not return encrypted reasoning; continuing without it');
        attempt -= 1;
        continue;
      }
      const error = toModelError(e, request.model, client.baseURL);
      if (!error.retryable) throw error;
      const delay = retryDelayMs(error, attempt);
      const within = options.retryWithin;
      if (within ? delay >= within.remainingMs() : attempt >= maxAttempts) {
        throw within ? outageOutlasted(error, attempt, within.budgetMinutes) : error;
      }
      options.logger?.warn({ code: error.code, attempt, delayMs: delay, err: error.message }, 'model call failed; retrying');
      await options.onRetry?.({ attempt, retryInMs: delay, reason: retryReason(error) });
      if (!(await sleep(delay, options.signal))) return undefined;
    }
  }
}

/** Models (per server) that refused `include: ['reasoning.encrypted_content']`. */
const WITHOUT_ENCRYPTED_REASONING = new Set<string>();

function modelKey(client: OpenAI, model: string): string {
  return `${client.baseURL}|${model}`;
}

/**
 * True for a 400 that refuses the `include` of encrypted reasoning itself ("Encrypted content
 * is not supported with this model", "Unknown parameter: 'include'"), and not for one about an
 * item of our input ("Item 'rs_…' of type 'reasoning' was provided without …").
 */
function rejectsEncryptedReasoning(e: unknown): boolean {
  const status = (e as { status?: number }).status;
  const message = e instanceof Error ? e.message : String(e);
  return status === 400 && !/\bitem\b/i.test(message) && /encrypted|include/i.test(message);
}

/**
 * The input as sent: without encrypted reasoning, reasoning items carry nothing the server can
 * use (it stores nothing: `store: false`), so they are left out.
 */
function inputFor(client: OpenAI, request: ModelRequest): InputItem[] {
  if (!WITHOUT_ENCRYPTED_REASONING.has(modelKey(client, request.model))) return request.input;
  return request.input.filter((item) => item.type !== 'reasoning' || Boolean((item as { encrypted_content?: string | null }).encrypted_content));
}

/** Drops incomplete function calls, and a reasoning item whose following call was dropped with them. */
function completeItems(output: OutputItem[]): OutputItem[] {
  const dropped = new Set<number>();
  output.forEach((item, i) => {
    if (item.type === 'function_call' && item.status === 'incomplete') {
      dropped.add(i);
      if (output[i - 1]?.type === 'reasoning') dropped.add(i - 1);
    }
  });
  return output.filter((_, i) => !dropped.has(i));
}

async function streamOnce(client: OpenAI, request: ModelRequest, options: CallOptions): Promise<ModelResponse | undefined> {
  const stream = await client.responses.create(
    {
      model: request.model,
      instructions: request.instructions,
      tools: request.tools,
      tool_choice: request.toolChoice ?? 'auto',
      input: inputFor(client, request),
      stream: true,
      store: false,
      ...(WITHOUT_ENCRYPTED_REASONING.has(modelKey(client, request.model)) ? {} : { include: ['reasoning.encrypted_content'] as OpenAI.Responses.ResponseIncludable[] }),
      prompt_cache_key: request.promptCacheKey,
    },
    { signal: options.signal, maxRetries: 0 },
  );
  const done = new Map<number, OutputItem>();
  for await (const event of stream) {
    switch (event.type) {
      case 'response.output_item.done':
        done.set(event.output_index, event.item);
        if (event.item.type === 'message') await options.onMessage?.(messageText(event.item));
        if (event.item.type === 'web_search_call') await options.onWebSearch?.(event.item);
        break;
      case 'response.completed':
      case 'response.incomplete': {
        if (event.type === 'response.incomplete') {
          options.logger?.warn({ reason: event.response.incomplete_details?.reason }, 'model response incomplete');
        }
        // Items only in the final response (a server that skipped output_item.done) still count.
        event.response.output.forEach((item, i) => {
          if (!done.has(i)) done.set(i, item);
        });
        const u = event.response.usage;
        const output = [...done.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
        return {
          ...(event.response.model ? { model: event.response.model } : {}),
          output: completeItems(output),
          usage: {
            inputTokens: u?.input_tokens ?? 0,
            cachedInputTokens: u?.input_tokens_details?.cached_tokens ?? 0,
            outputTokens: u?.output_tokens ?? 0,
          },
        };
      }
      case 'response.failed':
        throw new StreamFailure(event.response.error?.code, event.response.error?.message ?? 'the response failed');
      case 'error':
        throw new StreamFailure(event.code ?? undefined, event.message);
      default:
        break;
    }
  }
  // The SDK ends the iteration quietly when the signal aborts.
  if (options.signal.aborted) return undefined;
  throw new StreamFailure('stream_incomplete', 'the stream ended before response.completed');
}
