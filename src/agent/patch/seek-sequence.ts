/*
 * Where a hunk's lines sit in a file. Same passes as codex-rs/apply-patch/src/seek_sequence.rs,
 * from strict to lenient, each over the whole search range before the next is tried:
 * exact, then ignoring trailing whitespace, then ignoring surrounding whitespace, then also
 * treating typographic dashes, quotes and odd spaces as their ASCII forms.
 */

const normalizers: Array<(s: string) => string> = [
  (s) => s,
  (s) => s.trimEnd(),
  (s) => s.trim(),
  (s) => s.trim().replace(/[\u2010-\u2015\u2212]/g, '-').replace(/[\u2018-\u201B]/g, "'").replace(/[\u201C-\u201F]/g, '"').replace(/[\u00A0\u2002-\u200A\u202F\u205F\u3000]/g, ' '),
];

/**
 * Index of the first occurrence of `pattern` in `lines` at or after `start`, or -1.
 * With `eof`, the end of the file is tried first (a hunk marked "*** End of File").
 */
export function seekSequence(lines: readonly string[], pattern: readonly string[], start: number, eof: boolean): number {
  if (pattern.length === 0) return start;
  if (pattern.length > lines.length) return -1;
  const last = lines.length - pattern.length;
  const from = eof ? last : start;
  for (const norm of normalizers) {
    const wanted = pattern.map(norm);
    for (let i = from; i <= last; i += 1) {
      if (wanted.every((p, k) => norm(lines[i + k]!) === p)) return i;
    }
  }
  if (eof && from !== start) return seekSequence(lines, pattern, start, false);
  return -1;
}
