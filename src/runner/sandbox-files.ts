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
const SHORT_WRITE = 14;

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

/**
 * Writes stdin to the file atomically, creating parent directories; never writes through to
 * outside. The content goes to a temporary file beside the target first, is checked to be
 * `$2` bytes long (a cut stdin is an error, not a short file), takes over the target's mode,
 * and is renamed over the target: a failure at any point leaves the old file whole.
 */
export const WRITE_SCRIPT = `${PRELUDE}
inside "$p" || { printf '%s' "$p" >&2; exit ${ESCAPE}; }
[ -d "$p" ] && exit ${NOT_A_FILE}
mkdir -p -- "\${p%/*}" || exit 20
t="\${p%/*}/.\${p##*/}.codex-write-$$"
trap 'rm -f -- "$t"' EXIT
cat > "$t" || exit 20
[ "$(stat -c %s -- "$t")" = "$2" ] || exit ${SHORT_WRITE}
if [ -e "$p" ]; then chmod --reference="$p" -- "$t" || exit 20; fi
mv -f -- "$t" "$p" || exit 20`;

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

/**
 * Runs `bash -c <script> sandbox-file <args…>` in the sandbox as the sandbox user. `stdout` is
 * the raw bytes; `truncated` is true when more than `capBytes` came out (the middle was cut).
 */
export type ScriptRunner = (script: string, args: string[], stdin?: Buffer, capBytes?: number) => Promise<{ exitCode: number; stdout: Buffer; stderr: string; truncated: boolean }>;

/** UTF-8 decoding that fails on invalid bytes and keeps a byte-order mark as it is. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The four file operations of the port, on top of a script runner. */
export class SandboxFiles {
  constructor(
    private readonly run: ScriptRunner,
    private readonly maxFileBytes: number,
  ) {}

  /**
   * The file as text. Refuses what text editing would corrupt: a binary file (a NUL byte), bytes
   * that are not UTF-8 (they would come back as U+FFFD), and a read that came out cut (the file
   * grew past the limit between the size check and the read).
   */
  async read(path: string): Promise<string> {
    const r = await this.run(READ_SCRIPT, [scriptPath(path), String(this.maxFileBytes)], undefined, this.maxFileBytes + 1);
    throwIfFailed(path, r, 'read');
    const where = containerPath(checkWorkspacePath(path));
    if (r.truncated || r.stdout.length > this.maxFileBytes) {
      throw new CodexError('sandbox_file_too_large', `${where} is too large to read whole (it grew while being read); read parts of it with a command (head, sed -n).`);
    }
    if (r.stdout.includes(0)) {
      throw new CodexError('sandbox_file_binary', `${where} is a binary file (it contains NUL bytes); it cannot be read or edited as text.`);
    }
    try {
      return UTF8.decode(r.stdout);
    } catch {
      throw new CodexError('sandbox_file_not_utf8', `${where} is not UTF-8 text; it cannot be edited as text without corrupting it. Convert it first (iconv) or change it with a command.`);
    }
  }

  async write(path: string, content: string): Promise<void> {
    const bytes = Buffer.from(content, 'utf8');
    throwIfFailed(path, await this.run(WRITE_SCRIPT, [scriptPath(path), String(bytes.length)], bytes), 'write');
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
    case SHORT_WRITE:
      return new CodexError('sandbox_file_error', `Could not write ${where}: the content arrived incomplete; the file was left as it was.`, { retryable: true });
    case TOO_LARGE:
      return new CodexError('sandbox_file_too_large', `${where} is too large to read whole; read parts of it with a command (head, sed -n).`);
    default:
      return new CodexError('sandbox_file_error', `Could not ${op} ${where} (exit ${exitCode}): ${stderr.trim()}`, { retryable: true });
  }
}
