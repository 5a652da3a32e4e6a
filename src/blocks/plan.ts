import type { PlanStep } from '../tasks/protocol.js';
import { plural, snippet } from './limits.js';

/** At most this many plan lines on the card; a phone screen holds about that many. */
export const PLAN_MAX_ITEMS = 10;
const STEP_MAX = 120;

const MARK: Record<PlanStep['status'], string> = { completed: '✅', in_progress: '▶️', pending: '⬜' };

function line(step: PlanStep): string {
  return `${MARK[step.status]} ${snippet(step.step, STEP_MAX)}`;
}

/**
 * The plan as a checklist. Long plans show a window around the first unfinished step: the
 * completed steps before it fold into one line ("✅ 18 earlier steps done"), the steps after
 * the window into another ("⬜ … 30 more steps").
 */
export function renderPlanChecklist(steps: PlanStep[], maxItems = PLAN_MAX_ITEMS): string {
  const done = steps.filter((s) => s.status === 'completed').length;
  const title = `*Plan* · ${done} of ${steps.length} done`;
  if (steps.length <= maxItems) return [title, ...steps.map(line)].join('\n');
  const window = Math.max(1, maxItems - 2);
  const firstOpen = steps.findIndex((s) => s.status !== 'completed');
  const focus = firstOpen === -1 ? steps.length : firstOpen;
  // Show one finished step for context before the first open one.
  const start = Math.max(0, Math.min(focus - 1, steps.length - window));
  const shown = steps.slice(start, start + window);
  const before = steps.slice(0, start);
  const after = steps.length - start - shown.length;
  const lines = [title];
  if (before.length > 0) {
    const beforeDone = before.filter((s) => s.status === 'completed').length;
    lines.push(beforeDone === before.length ? `✅ ${plural(before.length, 'earlier step')} done` : `… ${plural(before.length, 'earlier step')}`);
  }
  lines.push(...shown.map(line));
  if (after > 0) lines.push(`⬜ … ${plural(after, 'more step')}`);
  return lines.join('\n');
}
