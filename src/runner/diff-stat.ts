import type { DiffStat, FileChange } from '../tasks/protocol.js';

export type { DiffStat };

/**
 * Parses `git diff --numstat -z`: `added\tremoved\tpath\0`, or for a rename
 * `added\tremoved\t\0old\0new\0`; binary files show `-` for both counts. `-z` keeps odd file
 * names (tabs, newlines, quotes) intact.
 */
export function parseNumstat(output: string): DiffStat {
  const parts = output.split('\0');
  const files: FileChange[] = [];
  let i = 0;
  while (i < parts.length) {
    const head = parts[i++]!;
    if (head === '') continue;
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(head);
    if (!m) continue;
    const binary = m[1] === '-';
    const file: FileChange = { path: m[3]!, added: binary ? 0 : Number(m[1]), removed: binary ? 0 : Number(m[2]), binary };
    if (m[3] === '') {
      file.oldPath = parts[i++] ?? '';
      file.path = parts[i++] ?? '';
    }
    files.push(file);
  }
  return {
    files,
    added: files.reduce((n, f) => n + f.added, 0),
    removed: files.reduce((n, f) => n + f.removed, 0),
  };
}

/** What a task changed relative to its base: per-file counts, totals and the unified diff. */
export interface TaskDiff {
  stat: DiffStat;
  /** Unified diff against the base; when longer than the cap, head and tail with a marker. */
  diff: string;
  diffTruncated: boolean;
}
