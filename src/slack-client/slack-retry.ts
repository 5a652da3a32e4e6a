import { setTimeout as sleep } from 'node:timers/promises';

/*
 * Which Slack failures a later attempt can fix: Slack answering 5xx, the connection failing,
 * and the platform's own "try again" errors. Rate limits (429) are not here: the shared rate
 * budget waits them out (SlackPoster). Everything else (a channel archived, a bad request) is
 * final.
 */

const RETRYABLE_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

export function isRetryableSlackError(e: unknown): boolean {
  const err = e as { code?: string; statusCode?: number; data?: { error?: string } } | undefined;
  if (err?.code === 'slack_webapi_request_error') return true;
  if (err?.code === 'slack_webapi_http_error') return (err.statusCode ?? 0) >= 500 || err.statusCode === 408;
  if (err?.code === 'slack_webapi_platform_error') return RETRYABLE_PLATFORM_ERRORS.has(err.data?.error ?? '');
  return false;
}

/** Attempts of one delivery: with the backoff below, Slack may fail for about five minutes. */
export const SLACK_DELIVERY_ATTEMPTS = 15;

/** Waits before attempt `attempt + 1`: 0.5 s doubling to at most 30 s; false when `signal` aborted first. */
export async function slackBackoff(attempt: number, signal: AbortSignal): Promise<boolean> {
  const ms = Math.min(30_000, 500 * 2 ** (attempt - 1));
  return sleep(ms, true, { signal }).catch(() => false);
}
