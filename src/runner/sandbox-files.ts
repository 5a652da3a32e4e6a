import { CodexError, PathEscapeError } from '../errors.js';
import { checkWorkspacePath, containerPath } from './workspace-path.js';

/*
 * File operations of the Sandbox port, done by small bash scripts inside the container so that
 * symlinks are resolved where they live: a link in the checkout can point at `/` of the
 * container, but never at the host, because host code never opens checkout paths. Each script
 * gets the path (already checked on the host: relative, no `..`) as an argument, never
 * interpolated, resolves it with `realpath`, and refuses anything outside /workspace.
 * Exit codes are the protocol between the scripts and `fileOpError` below.
 */
const ESCAPE = 10;
const NOT_FOUND = 11;
const NOT_A_FILE = 12;
const TOO_LARGE = 13;

const PRELUDE = [
  'set -u',
  'W=/workspace',
  'inside() { case "$1" in "$W"/*) return 0;; *) return 1;; esac; }',
  'p=$(realpath -m -- "$W/$1") || exit 20',
].join('\n');

/** Prints the file; `$2` is the size limit in bytes. */
export const READ_SCRIPT = `${PRELUDE}
inside "$p" || { printf '%s' "$p" >&2; exit ${ESCAPE}; }
[ -e "$p" ] || exit ${NOT_FOUND}
[ -f "$p" ] || exit ${NOT_A_FILE}
s=$(stat -L -c %s -- "$p") || exit 20
[ "$s" -le "$2" ] || exit ${TOO_LARGE}
exec cat -- "$p"`;

/** Writes stdin to the file, creating parent directories; never writes through to outside. */
export const WRITE_SCRIPT = `${PRELUDE}
inside "$p" || { printf '%s' "$p" >&2; exit ${ESCAPE}; }
[ -d "$p" ] && exit ${NOT_A_FILE}
mkdir -p -- "\${p%/*}" || exit 20
exec cat > "$p"`;

/** Removes the entry itself (a symlink is removed, not followed); its directory must be inside. */
export const DELETE_SCRIPT = `set -u
W=/workspace
inside() { case "$1" in "$W"|"$W"/*) return 0;; *) return 1;; esac; }
t="$W/$1"
d=$(realpath -m -- "\${t%/*}") || exit 20
inside "$d" || { printf '%s' "$d" >&2; exit ${ESCAPE}; }
t="$d/\${t##*/}"
[ -e "$t" ] || [ -L "$t" ] || exit ${NOT_FOUND}
[ -d "$t" ] && [ ! -L "$t" ] && exit ${NOT_A_FILE}
exec rm -f -- "$t"`;

/** Exit 0 when the path is a regular file inside /workspace, 1 when not. */
export const EXISTS_SCRIPT = `${PRELUDE}
inside "$p" || { printf '%s' "$p" >&2; exit ${ESCAPE}; }
[ -f "$p" ]`;

/** Runs `bash -c <script> sandbox-file <args…>` in the sandbox as the sandbox user. */
export type ScriptRunner = (script: string, args: string[], stdin?: Buffer, capBytes?: number) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

/** The four file operations of the port, on top of a script runner. */
export class SandboxFiles {
  constructor(
    private readonly run: ScriptRunner,
    private readonly maxFileBytes: number,
  ) {}

  async read(path: string): Promise<string> {
    const r = await this.run(READ_SCRIPT, [scriptPath(path), String(this.maxFileBytes)], undefined, this.maxFileBytes + 1);
    throwIfFailed(path, r, 'read');
    return r.stdout;
  }

  async write(path: string, content: string): Promise<void> {
    throwIfFailed(path, await this.run(WRITE_SCRIPT, [scriptPath(path)], Buffer.from(content, 'utf8')), 'write');
  }

  async delete(path: string): Promise<void> {
    throwIfFailed(path, await this.run(DELETE_SCRIPT, [scriptPath(path)]), 'delete');
  }

  async exists(path: string): Promise<boolean> {
    const r = await this.run(EXISTS_SCRIPT, [scriptPath(path)]);
    if (r.exitCode === 1) return false;
    throwIfFailed(path, r, 'check');
    return true;
  }
}

function throwIfFailed(path: string, r: { exitCode: number; stderr: string }, op: string): void {
  const error = fileOpError(path, r.exitCode, r.stderr, op);
  if (error) throw error;
}

/** Host-side check, then the relative path the scripts take as `$1`. */
export function scriptPath(path: string): string {
  const relative = checkWorkspacePath(path);
  if (relative === '') throw new CodexError('sandbox_not_a_file', `${containerPath('')} is a directory, not a file.`);
  return relative;
}

/** Turns a script's exit into the error the port promises; undefined means success. */
export function fileOpError(path: string, exitCode: number, stderr: string, op: string): Error | undefined {
  if (exitCode === 0) return undefined;
  const where = containerPath(checkWorkspacePath(path));
  switch (exitCode) {
    case ESCAPE:
      return new PathEscapeError(path, `it resolves to ${stderr.trim() || 'a place'} outside /workspace (through a symlink)`);
    case NOT_FOUND:
      return new CodexError('sandbox_file_not_found', `No such file: ${where}.`);
    case NOT_A_FILE:
      return new CodexError('sandbox_not_a_file', `${where} is not a regular file.`);
    case TOO_LARGE:
      return new CodexError('sandbox_file_too_large', `${where} is too large to read whole; read parts of it with a command (head, sed -n).`);
    default:
      return new CodexError('sandbox_file_error', `Could not ${op} ${where} (exit ${exitCode}): ${stderr.trim()}`, { retryable: true });
  }
}
