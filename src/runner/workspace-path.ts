import { PathEscapeError } from '../errors.js';

/**
 * The host-side half of path confinement: before any exec, a path from the model must be
 * relative and free of `..`, so it cannot name anything outside /workspace by spelling alone.
 * The sandbox-side half (sandbox-files.ts) resolves symlinks inside the container, which only
 * it can see. Returns the path normalised (`./a//b/` → `a/b`); '' is /workspace itself.
 */
export function checkWorkspacePath(path: string): string {
  if (typeof path !== 'string') throw new PathEscapeError(String(path), 'the path is not a string');
  if (path.includes('\0')) throw new PathEscapeError(path, 'the path contains a NUL byte');
  if (path.startsWith('/')) throw new PathEscapeError(path, 'absolute paths are not allowed');
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new PathEscapeError(path, "'..' would leave /workspace");
  return segments.join('/');
}

/** `/workspace` joined with a checked relative path. */
export function containerPath(relative: string): string {
  return relative === '' ? '/workspace' : `/workspace/${relative}`;
}
