import { posix } from 'node:path';
import type { FileChange } from '../../tasks/protocol.js';
import { CodexError } from '../../errors.js';
import type { PatchOperation, UpdateChunk } from './parse-patch.js';
import { seekSequence } from './seek-sequence.js';

/*
 * The pure core of apply_patch: given the parsed operations and the current contents of every
 * file they name, compute the final contents of each file without touching anything. A patch
 * either applies completely or not at all: the caller writes only after this succeeds.
 */

/** A patch whose paths or hunks do not fit the files; nothing was changed. */
export class PatchApplyError extends CodexError {
  constructor(message: string) {
    super('patch_failed', message);
    this.name = 'PatchApplyError';
  }
}

/** What to do to one file of the checkout. `content` undefined means delete. */
export interface FileWrite {
  path: string;
  content?: string;
}

export interface PatchPlan {
  /** Final state of every file the patch touches, in the order first touched. */
  writes: FileWrite[];
  /** Lines added and removed, per file as the user sees it (the destination of a move). */
  files: FileChange[];
}

/** Current contents by normalized path; undefined when the file does not exist. */
export type FileContents = ReadonlyMap<string, string | undefined>;

/**
 * Normalizes a patch path to one relative to the repository root. Accepts `/workspace/…`
 * (the checkout's mount point) and `./…`; refuses other absolute paths and `..` escapes.
 */
export function normalizePatchPath(raw: string): string {
  let p = raw.trim().replace(/\\/g, '/');
  if (p === '/workspace' || p.startsWith('/workspace/')) p = p.slice('/workspace'.length);
  else if (p.startsWith('/')) throw new PatchApplyError(`'${raw}' is an absolute path outside the repository; use a path relative to the repository root.`);
  p = posix.normalize(p.replace(/^\/+/, ''));
  if (p === '.' || p === '' || p.endsWith('/')) throw new PatchApplyError(`'${raw}' does not name a file.`);
  if (p === '..' || p.startsWith('../')) throw new PatchApplyError(`'${raw}' leaves the repository; use a path inside it.`);
  return p;
}

/** Every normalized path the operations read or write, so the caller can load them first. */
export function pathsOf(ops: readonly PatchOperation[]): string[] {
  const paths = new Set<string>();
  for (const op of ops) {
    paths.add(normalizePatchPath(op.path));
    if (op.kind === 'update' && op.moveTo !== undefined) paths.add(normalizePatchPath(op.moveTo));
  }
  return [...paths];
}

/** Applies the operations in order to an in-memory copy of `files`. Throws PatchApplyError. */
export function planPatch(ops: readonly PatchOperation[], files: FileContents): PatchPlan {
  const state = new Map<string, string | undefined>(files);
  const touched: string[] = [];
  const stats = new Map<string, FileChange>();
  const touch = (path: string) => {
    if (!touched.includes(path)) touched.push(path);
  };
  const count = (path: string, added: number, removed: number) => {
    const s = stats.get(path) ?? { path, added: 0, removed: 0 };
    s.added += added;
    s.removed += removed;
    stats.set(path, s);
  };
  for (const op of ops) {
    const path = normalizePatchPath(op.path);
    if (!state.has(path)) throw new Error(`planPatch: contents of ${path} were not loaded`);
    const current = state.get(path);
    if (op.kind === 'add') {
      state.set(path, op.contents);
      touch(path);
      count(path, lineCount(op.contents), current === undefined ? 0 : lineCount(current));
    } else if (op.kind === 'delete') {
      if (current === undefined) throw new PatchApplyError(`Failed to delete '${op.path}': the file does not exist.`);
      state.set(path, undefined);
      touch(path);
      count(path, 0, lineCount(current));
    } else {
      if (current === undefined) {
        throw new PatchApplyError(`Failed to update '${op.path}': the file does not exist. To create it, use '*** Add File: ${op.path}' with every line prefixed by '+'.`);
      }
      const { content, added, removed } = applyChunks(current, op.chunks, op.path);
      const dest = op.moveTo === undefined ? path : normalizePatchPath(op.moveTo);
      if (dest !== path) {
        if (!state.has(dest)) throw new Error(`planPatch: contents of ${dest} were not loaded`);
        state.set(path, undefined);
        touch(path);
      }
      state.set(dest, content);
      touch(dest);
      count(dest, added, removed);
    }
  }
  const writes: FileWrite[] = [];
  for (const path of touched) {
    const before = files.get(path);
    const after = state.get(path);
    if (before === after) continue;
    writes.push(after === undefined ? { path } : { path, content: after });
  }
  return { writes, files: [...stats.values()] };
}

function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Applies one file's hunks; a non-empty result always ends with a newline, as in Codex. */
export function applyChunks(original: string, chunks: readonly UpdateChunk[], displayPath: string): { content: string; added: number; removed: number } {
  const eol = original.includes('\r\n') ? '\r\n' : '\n';
  const lines = original.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const replacements: Array<{ start: number; oldLen: number; newLines: string[] }> = [];
  let added = 0;
  let removed = 0;
  let index = 0;
  chunks.forEach((chunk, n) => {
    added += chunk.added;
    removed += chunk.removed;
    const where = `hunk ${n + 1} of ${chunks.length} (patch line ${chunk.patchLine}) for '${displayPath}'`;
    if (chunk.context !== undefined) {
      const at = seekSequence(lines, [chunk.context], index, false);
      if (at < 0) {
        throw new PatchApplyError(
          `Failed to apply ${where}: the context line "@@ ${chunk.context}" was not found${index > 0 ? ` after line ${index}` : ''}. ` +
            'Nothing was changed. Re-read the file and copy the context line exactly; hunks must be in file order.',
        );
      }
      index = at + 1;
    }
    if (chunk.oldLines.length === 0) {
      // Pure insertion: after the context line when one is given, else at the end of the file.
      const start = chunk.context !== undefined && !chunk.isEndOfFile ? index : lines.length;
      replacements.push({ start, oldLen: 0, newLines: chunk.newLines });
      return;
    }
    let pattern = chunk.oldLines;
    let markers = chunk.markers;
    let at = seekSequence(lines, pattern, index, chunk.isEndOfFile);
    if (at < 0 && pattern[pattern.length - 1] === '' && markers.endsWith(' ')) {
      // A trailing empty context line stands for the file's final newline, which split() dropped.
      pattern = pattern.slice(0, -1);
      markers = markers.slice(0, -1);
      at = seekSequence(lines, pattern, index, chunk.isEndOfFile);
    }
    if (at < 0) {
      const scope = chunk.context !== undefined ? ` after the context line "@@ ${chunk.context}"` : index > 0 ? ` after line ${index}` : '';
      throw new PatchApplyError(
        `Failed to apply ${where}: these lines were not found${scope}${chunk.isEndOfFile ? ' at the end of the file' : ''}:\n` +
          `${chunk.oldLines.join('\n')}\n` +
          'Nothing was changed. Re-read the file and copy the context (" ") and removed ("-") lines exactly; hunks must be in file order.',
      );
    }
    replacements.push({ start: at, oldLen: pattern.length, newLines: replacementFor(markers, lines.slice(at, at + pattern.length), chunk.newLines) });
    index = at + pattern.length;
  });
  const result = [...lines];
  for (const r of [...replacements].sort((a, b) => b.start - a.start)) result.splice(r.start, r.oldLen, ...r.newLines);
  // Codex skips this when the last line is empty, losing a blank last line; we keep it.
  if (result.length > 0) result.push('');
  return { content: result.join(eol), added, removed };
}

/**
 * The lines that replace a matched region. Context lines keep the file's own text, so a match
 * that ignored whitespace does not rewrite it (Codex writes the patch's version instead).
 */
function replacementFor(markers: string, matched: readonly string[], newLines: readonly string[]): string[] {
  const out: string[] = [];
  let o = 0;
  let n = 0;
  for (const m of markers) {
    if (m === ' ') {
      out.push(matched[o] ?? newLines[n]!);
      o += 1;
      n += 1;
    } else if (m === '-') {
      o += 1;
    } else {
      out.push(newLines[n]!);
      n += 1;
    }
  }
  return out;
}
