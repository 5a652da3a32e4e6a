import { CronExpressionParser } from 'cron-parser';

/** A valid schedule that an example in a refusal can show. */
export const EXAMPLE_CRON = '0 9 * * 1-5';

export type CronCheck = { ok: true; next: Date[] } | { ok: false; reason: string; example: { cron: string; next: Date[] } };

/** The next `count` occurrences of `cron` in `tz` after `from`. Throws on an invalid line. */
export function nextRuns(cron: string, tz: string, count: number, from = new Date()): Date[] {
  const expr = CronExpressionParser.parse(cron, { tz, currentDate: from });
  return Array.from({ length: count }, () => expr.next().toDate());
}

/**
 * Checks a cron line (five fields, as BullMQ's job schedulers read it with cron-parser) for an
 * automation: it must parse, in `tz`, and no two of its next runs may be closer than
 * `minIntervalMinutes`. A refusal says why and shows a valid example with its next runs.
 */
export function checkCron(cron: string, tz: string, minIntervalMinutes: number, from = new Date()): CronCheck {
  const example = { cron: EXAMPLE_CRON, next: nextRuns(EXAMPLE_CRON, tz, 3, from) };
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return { ok: false, reason: `"${cron}" is not a cron line: it needs five fields (minute hour day-of-month month day-of-week)`, example };
  let runs: Date[];
  try {
    runs = nextRuns(cron, tz, 20, from);
  } catch (e) {
    return { ok: false, reason: `"${cron}" is not a valid cron line (${(e as Error).message})`, example };
  }
  const gaps = runs.slice(1).map((d, i) => d.getTime() - runs[i]!.getTime());
  const shortest = Math.min(...gaps);
  if (shortest < minIntervalMinutes * 60_000) {
    return { ok: false, reason: `"${cron}" runs every ${Math.round(shortest / 60_000)} minute(s); automations may run at most every ${minIntervalMinutes} minutes`, example };
  }
  return { ok: true, next: runs.slice(0, 3) };
}
