import type { TokenUsage } from '../tasks/protocol.js';

/*
 * Short, phone-width renderings of numbers, durations and times.
 */

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Elapsed time of a task: `42s`, `2m 05s`, `1h 02m`. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${pad2(m)}m`;
  if (m > 0) return `${m}m ${pad2(s)}s`;
  return `${s}s`;
}

/** Duration of one command: `350ms`, `2.1s`, `2m 05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  return formatElapsed(ms);
}

/** Token counts: `950`, `12.3k`, `12k`, `1.2M`. */
export function formatTokens(n: number): string {
  const scaled = (value: number, unit: string) => {
    const rounded = Math.round(value * 10) / 10;
    return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)}${unit}`;
  };
  if (n < 1000) return String(Math.max(0, Math.round(n)));
  if (n < 999_950) return scaled(n / 1000, 'k');
  return scaled(n / 1_000_000, 'M');
}

/** `12.3k in (8.1k cached) · 2.1k out`; the cached part only when there is one. */
export function formatUsage(usage: TokenUsage): string {
  const cached = usage.cachedInputTokens > 0 ? ` (${formatTokens(usage.cachedInputTokens)} cached)` : '';
  return `${formatTokens(usage.inputTokens)} in${cached} · ${formatTokens(usage.outputTokens)} out`;
}

/**
 * A time Slack shows in each reader's own time zone: `<!date^1700000000^{time}|14:13 UTC>`.
 * The part after `|` is what clients that cannot format dates (and notifications) show.
 */
export function slackTime(iso: string, format = '{time}'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return 'an unknown time';
  const unix = Math.floor(date.getTime() / 1000);
  const fallback = `${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())} UTC`;
  return `<!date^${unix}^${format}|${fallback}>`;
}

/** `<@U0123>`: a mention, for a Slack user id that is known to be one (never user text). */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : 'someone';
}
