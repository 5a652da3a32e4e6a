import { CodexError } from '../../errors.js';

/*
 * Parser of Codex's apply_patch format (the one OpenAI's coding models are trained on):
 *
 *   *** Begin Patch
 *   *** Add File: path        then every line starts with "+"
 *   *** Delete File: path     nothing follows
 *   *** Update File: path     optionally "*** Move to: new/path", then hunks:
 *   @@ optional context line  then " " context, "-" removed, "+" added lines,
 *                             optionally "*** End of File" when the hunk ends the file
 *   *** End Patch
 *
 * Leniency follows codex-rs/apply-patch/src/parser.rs: markers may carry surrounding
 * whitespace, the patch may be wrapped in a `<<'EOF'` heredoc, blank lines between hunks are
 * skipped, and the first hunk of an update may omit its "@@" line.
 */

/** One hunk of an `*** Update File` section. */
export interface UpdateChunk {
  /** The "@@ <context>" line: the hunk's old lines are searched after this line. */
  context?: string;
  oldLines: string[];
  newLines: string[];
  /** Set by "*** End of File": the old lines are expected at the end of the file. */
  isEndOfFile: boolean;
  /** The hunk's line kinds in order (" ", "-", "+"), to keep the file's own context lines. */
  markers: string;
  /** Counts of "+" and "-" lines, for the diff stat. */
  added: number;
  removed: number;
  /** 1-based line in the patch text where the hunk starts, for error messages. */
  patchLine: number;
}

export type PatchOperation =
  | { kind: 'add'; path: string; contents: string }
  | { kind: 'delete'; path: string }
  | { kind: 'update'; path: string; moveTo?: string; chunks: UpdateChunk[] };

/** A patch that is not in the format; the message says what to fix. */
export class PatchParseError extends CodexError {
  constructor(message: string, readonly line?: number) {
    super('patch_invalid', line === undefined ? `Invalid patch: ${message}` : `Invalid patch at line ${line}: ${message}`);
    this.name = 'PatchParseError';
  }
}

const BEGIN = '*** Begin Patch';
const END = '*** End Patch';
const ADD = '*** Add File: ';
const DELETE = '*** Delete File: ';
const UPDATE = '*** Update File: ';
const MOVE = '*** Move to: ';
const EOF_MARKER = '*** End of File';

/** Parses a patch into operations, in patch order. Throws PatchParseError. */
export function parsePatch(text: string): PatchOperation[] {
  const { body, firstLine } = stripBoundaries(text.trim().split(/\r?\n/));
  const ops: PatchOperation[] = [];
  let i = 0;
  while (i < body.length) {
    const lineNo = firstLine + i;
    const header = body[i]!.trim();
    if (header === '') {
      i += 1;
      continue;
    }
    if (header.startsWith(ADD)) {
      const path = requirePath(header.slice(ADD.length), lineNo);
      let contents = '';
      i += 1;
      while (i < body.length && body[i]!.startsWith('+')) {
        contents += `${body[i]!.slice(1)}\n`;
        i += 1;
      }
      ops.push({ kind: 'add', path, contents });
    } else if (header.startsWith(DELETE)) {
      ops.push({ kind: 'delete', path: requirePath(header.slice(DELETE.length), lineNo) });
      i += 1;
    } else if (header.startsWith(UPDATE)) {
      const path = requirePath(header.slice(UPDATE.length), lineNo);
      i += 1;
      let moveTo: string | undefined;
      if (i < body.length && body[i]!.trim().startsWith(MOVE)) {
        moveTo = requirePath(body[i]!.trim().slice(MOVE.length), firstLine + i);
        i += 1;
      }
      const chunks: UpdateChunk[] = [];
      while (i < body.length) {
        if (body[i]!.trim() === '') {
          i += 1;
          continue;
        }
        if (body[i]!.startsWith('*')) break;
        const parsed = parseChunk(body, i, firstLine, chunks.length === 0);
        chunks.push(parsed.chunk);
        i = parsed.next;
      }
      if (chunks.length === 0) throw new PatchParseError(`the update of '${path}' has no hunks; add "@@" hunks with "-" and "+" lines`, lineNo);
      ops.push(moveTo === undefined ? { kind: 'update', path, chunks } : { kind: 'update', path, moveTo, chunks });
    } else {
      throw new PatchParseError(
        `'${header}' is not a valid file header. Valid headers: '*** Add File: {path}', '*** Delete File: {path}', '*** Update File: {path}'`,
        lineNo,
      );
    }
  }
  return ops;
}

function requirePath(raw: string, line: number): string {
  const path = raw.trim();
  if (path === '') throw new PatchParseError('the file header names no path', line);
  return path;
}

/** Checks the Begin/End markers (inside an optional heredoc) and returns the lines between them. */
function stripBoundaries(lines: string[]): { body: string[]; firstLine: number } {
  const strict = (ls: string[]): string | undefined => {
    if (ls.length === 0 || ls[0]!.trim() !== BEGIN) return "the first line of the patch must be '*** Begin Patch'";
    if (ls.length < 2 || ls[ls.length - 1]!.trim() !== END) return "the last line of the patch must be '*** End Patch'";
    return undefined;
  };
  const problem = strict(lines);
  if (problem === undefined) return { body: lines.slice(1, -1), firstLine: 2 };
  const first = lines[0]?.trim();
  if (lines.length >= 4 && (first === '<<EOF' || first === "<<'EOF'" || first === '<<"EOF"') && lines[lines.length - 1]!.trim().endsWith('EOF')) {
    const inner = lines.slice(1, -1);
    if (strict(inner) === undefined) return { body: inner.slice(1, -1), firstLine: 3 };
  }
  throw new PatchParseError(problem);
}

function parseChunk(body: string[], start: number, firstLine: number, allowMissingContext: boolean): { chunk: UpdateChunk; next: number } {
  const head = body[start]!;
  const patchLine = firstLine + start;
  let context: string | undefined;
  let i = start;
  if (head.trim() === '@@') {
    i += 1;
  } else if (head.startsWith('@@ ')) {
    context = head.slice(3);
    i += 1;
  } else if (!allowMissingContext) {
    throw new PatchParseError(`expected a hunk to start with "@@" (optionally followed by a context line), got '${head}'`, patchLine);
  }
  const chunk: UpdateChunk = { oldLines: [], newLines: [], isEndOfFile: false, markers: '', added: 0, removed: 0, patchLine };
  if (context !== undefined) chunk.context = context;
  let taken = 0;
  for (; i < body.length; i += 1) {
    const line = body[i]!;
    if (line.trim() === EOF_MARKER) {
      if (taken === 0) break;
      chunk.isEndOfFile = true;
      i += 1;
      break;
    }
    const marker = line[0];
    if (marker === undefined) {
      // An empty line inside a hunk is an empty context line whose leading space was lost.
      chunk.oldLines.push('');
      chunk.newLines.push('');
      chunk.markers += ' ';
    } else if (marker === ' ') {
      chunk.oldLines.push(line.slice(1));
      chunk.newLines.push(line.slice(1));
      chunk.markers += ' ';
    } else if (marker === '-') {
      chunk.oldLines.push(line.slice(1));
      chunk.removed += 1;
      chunk.markers += '-';
    } else if (marker === '+') {
      chunk.newLines.push(line.slice(1));
      chunk.added += 1;
      chunk.markers += '+';
    } else {
      if (taken === 0) {
        throw new PatchParseError(`unexpected line '${line}' in a hunk: every line must start with ' ' (context), '-' (removed) or '+' (added)`, firstLine + i);
      }
      break;
    }
    taken += 1;
  }
  if (taken === 0) throw new PatchParseError('a hunk has no lines; give it " ", "-" or "+" lines after "@@"', patchLine);
  return { chunk, next: i };
}
