import type { DiffStat } from '../tasks/protocol.js';
import { clampPath, formatCount, inlineCode, plural } from './limits.js';

/** Files listed before the rest fold into "… 485 more files". */
export const DIFF_MAX_FILES = 15;

/** `+120 −14` (a real minus sign: it reads as one on every font). */
export function formatLineCounts(added: number, removed: number): string {
  return `+${formatCount(added)} −${formatCount(removed)}`;
}

/**
 * `*3 files changed* (+120 −14)` and one line per file, the biggest changes first, paths cut
 * from the left so the file name stays visible.
 */
export function renderDiffStat(diff: DiffStat, maxFiles = DIFF_MAX_FILES): string {
  if (diff.files.length === 0) return '*No files changed*';
  const title = `*${plural(diff.files.length, 'file')} changed* (${formatLineCounts(diff.added, diff.removed)})`;
  const sorted = [...diff.files].sort((a, b) => b.added + b.removed - (a.added + a.removed) || a.path.localeCompare(b.path));
  const shown = sorted.slice(0, maxFiles);
  const rest = sorted.slice(maxFiles);
  const lines = shown.map((f) => `${inlineCode(clampPath(f.path, 70), 70)} ${formatLineCounts(f.added, f.removed)}`);
  if (rest.length > 0) {
    const added = rest.reduce((n, f) => n + f.added, 0);
    const removed = rest.reduce((n, f) => n + f.removed, 0);
    lines.push(`… ${plural(rest.length, 'more file')} (${formatLineCounts(added, removed)})`);
  }
  return [title, ...lines].join('\n');
}
