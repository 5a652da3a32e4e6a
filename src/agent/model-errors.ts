import { APIConnectionError, APIError } from 'openai';
import { CodexError, type ErrorCode } from '../errors.js';

/*
 * Translates what the openai SDK throws (and failures reported inside a stream) into
 * CodexErrors with a project code, whether a retry can help, and a sentence a person can act
 * on. The retry policy mirrors the SDK's own (408, 409, 429, 5xx, connection failures) except
 * that an exhausted quota is final.
 */

/** A failure reported inside a stream (`error` or `response.failed`), before translation. */
export class StreamFailure extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'StreamFailure';
  }
}

const RETRYABLE_STREAM_CODES = new Set(['server_error', 'rate_limit_exceeded', 'server_is_overloaded', 'slow_down', 'stream_incomplete']);

/** Translates any error of a model request into a CodexError. */
export function toModelError(e: unknown, model: string, baseURL: string): CodexError {
  if (CodexError.isInstance(e)) return e;
  if (e instanceof StreamFailure) return fromCode(e.code, e.message, undefined, model, e);
  if (e instanceof APIConnectionError) {
    return new CodexError('model_unreachable', `Could not reach the model API at ${baseURL}: ${e.message}`, {
      cause: e,
      retryable: true,
      userMessage: `Could not reach the model API at ${baseURL}; check OPENAI_BASE_URL and the worker's network.`,
    });
  }
  if (e instanceof APIError) return fromCode(e.code ?? undefined, e.message, e.status, model, e);
  return new CodexError('model_error', `Model request failed: ${e instanceof Error ? e.message : String(e)}`, {
    cause: e,
    userMessage: 'The model request failed unexpectedly; see the worker log.',
  });
}

function fromCode(code: string | undefined, message: string, status: number | undefined, model: string, cause: unknown): CodexError {
  const make = (c: ErrorCode, retryable: boolean, userMessage: string) => new CodexError(c, `Model request failed (${status ?? 'stream'}${code ? `, ${code}` : ''}): ${message}`, { cause, retryable, userMessage });
  if (code === 'context_length_exceeded' || /context (window|length)|maximum context/i.test(message)) {
    return make('model_context_too_long', false, 'The conversation no longer fits in the model\'s context window; start a new task with a narrower request, or give the essentials again in a fresh thread.');
  }
  if (code === 'insufficient_quota') return make('model_quota_exceeded', false, 'The OpenAI account has run out of credit or quota; check the billing of the key in OPENAI_API_KEY.');
  if (status === 401) return make('model_auth_failed', false, 'The OpenAI API key was rejected; check OPENAI_API_KEY.');
  if (status === 403) return make('model_forbidden', false, `The OpenAI API key may not use the model ${model}; check the key's project permissions or set CODEX_MODEL to a model it may use.`);
  if (status === 404 && /\bitem\b/i.test(message) && code !== 'model_not_found') {
    // "Item with id 'rs_…' not found": the server could not resolve an item of our input.
    return make('model_bad_request', false, `The model API could not use the conversation so far (${message}). Start a new task; if it keeps happening, check OPENAI_BASE_URL and CODEX_MODEL.`);
  }
  if (status === 404 || code === 'model_not_found') {
    return make('model_not_found', false, `The model ${model} is not available; set CODEX_MODEL to a model your account can use (and check OPENAI_BASE_URL if you use a compatible server).`);
  }
  if (status === 429 || code === 'rate_limit_exceeded') return make('model_rate_limited', true, 'The OpenAI API kept rate-limiting this task; try again in a few minutes or raise the account\'s rate limits.');
  if (status === 408 || status === 409 || (status !== undefined && status >= 500) || (status === undefined && code !== undefined && RETRYABLE_STREAM_CODES.has(code))) {
    return make('model_unavailable', true, 'The model API is failing right now; try again in a few minutes.');
  }
  if (status === 400 || status === 422) return make('model_bad_request', false, `The model API rejected the request: ${message}`);
  return make('model_error', false, `The model request failed: ${message}`);
}

/** Longest wait a server may ask for between attempts; longer requests wait this long. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * How long to wait before attempt `attempt + 1` (attempt counts from 1): the server's
 * `retry-after-ms` or `retry-after` when given (capped), else exponential backoff with jitter.
 */
export function retryDelayMs(e: unknown, attempt: number, random: () => number = Math.random): number {
  const api = CodexError.isInstance(e) ? e.cause : e;
  const headers = api instanceof APIError ? api.headers : undefined;
  const fromHeaders = headers ? parseRetryAfter(headers) : undefined;
  if (fromHeaders !== undefined) return Math.min(Math.max(0, fromHeaders), MAX_RETRY_AFTER_MS);
  const base = Math.min(500 * 2 ** (attempt - 1), 8_000);
  return Math.round(base * (1 - random() * 0.25));
}

function parseRetryAfter(headers: Headers): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Number(ms);
  const after = headers.get('retry-after');
  if (after === null || after.trim() === '') return undefined;
  if (Number.isFinite(Number(after))) return Number(after) * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : date - Date.now();
}

/** Why a model call is being retried, in a few words ("HTTP 503", "HTTP 429 rate limited", "connection failed"). */
export function retryReason(error: CodexError): string {
  const cause = error.cause;
  if (cause instanceof APIConnectionError) return 'connection failed';
  if (cause instanceof APIError && cause.status !== undefined) return `HTTP ${cause.status}${cause.status === 429 ? ' rate limited' : ''}`;
  if (cause instanceof StreamFailure) return `stream failed${cause.code ? ` (${cause.code})` : ''}`;
  return error.code;
}

/** The failure of a turn whose model calls kept failing until its time budget ran out. */
export function outageOutlasted(last: CodexError, attempts: number, budgetMinutes: number): CodexError {
  const reason = retryReason(last);
  return new CodexError(last.code, `model calls kept failing for the turn's time budget (${attempts} attempts, last: ${last.message})`, {
    cause: last,
    userMessage: `The model API was unavailable (${reason}) for the rest of this turn's time budget (${budgetMinutes} minutes): ${attempts} attempts failed, so the turn stopped. The work so far is kept; reply in the thread to try again.`,
  });
}
