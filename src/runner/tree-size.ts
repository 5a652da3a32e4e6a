import { createHash } from 'node:crypto';
import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';

/*
 * How much a checkout holds, measured on the host: the sandbox cannot lie to it (a `du` inside
 * the container runs next to the sandbox's own processes, which can kill or starve it).
 *
 * - Size is apparent size (`st_size`), so a sparse file counts at its full length: that is
 *   what `git add` reads and hashes (a 1 TiB sparse file costs hours of host CPU while taking no
 *   disk), and what a copy of the file would take.
 * - Every entry counts towards the file count: files, directories and symlinks (each costs git
 *   a stat and the host an inode).
 * - Symlinks are never followed (lstat, and a directory is entered only when lstat says it is
 *   one on the checkout's own filesystem).
 * - The walk stops as soon as either limit is passed, so a tree of a million files costs no
 *   more than one just over the limit. Entries are read as a stream (opendir), never a whole
 *   huge directory at once.
 *
 * While the sandbox runs it can change the tree under the walk (swap a directory for a symlink
 * between the lstat and the opendir): the worst that does is make one measurement wrong and
 * have it read names and sizes elsewhere on the same filesystem, still bounded by the entry
 * limit; nothing read goes back to the sandbox. The measurement that decides the commit runs
 * after the sandbox was stopped, on a tree nothing changes.
 */

export interface TreeBudget {
  /** Stop once the apparent size passes this many bytes. */
  maxBytes: number;
  /** Stop once the number of entries passes this. */
  maxEntries: number;
}

export interface TreeSize {
  /** Apparent bytes of every regular file and symlink seen (all of them when `over` is unset). */
  bytes: number;
  /** Files, directories and symlinks seen, the root not included. */
  entries: number;
  /** Which budget the tree passed; the walk stopped there. */
  over?: 'bytes' | 'entries';
  /** The largest file seen, relative to the root. */
  largest?: { path: string; bytes: number };
  /** Directories that could not be read (not counted inside); git would fail on them too. */
  unreadable: string[];
  /**
   * With `fingerprint: true` and the tree within budget: a hash of every entry's path, type,
   * size, inode and change times (the root's `.git` left out: no snapshot holds it). Any write, create, delete, rename or chmod changes an entry's
   * ctime, which no unprivileged process can set back, so an equal fingerprint means an
   * unchanged tree (the stat test git itself relies on).
   */
  fingerprint?: string;
}

const CONCURRENCY = 32;

/** Measures the tree under `root` (see the file comment); never throws for entries that vanish. */
export async function measureTree(root: string, budget: TreeBudget = { maxBytes: Infinity, maxEntries: Infinity }, options: { fingerprint?: boolean } = {}): Promise<TreeSize> {
  const rootStat = await lstat(root);
  const result: TreeSize = { bytes: 0, entries: 0, unreadable: [] };
  if (!rootStat.isDirectory()) return result;
  const dirs: string[] = [''];
  const done = () => result.over !== undefined;
  const seen: string[] | undefined = options.fingerprint ? [] : undefined;

  const count = async (rel: string): Promise<void> => {
    const st = await lstat(join(root, rel)).catch(() => undefined);
    if (!st || done()) return; // removed since it was listed
    result.entries += 1;
    // The checkout's own `.git` (its index, refreshed by any `git status`) is never in a snapshot.
    if (seen && rel !== '.git' && !rel.startsWith('.git/')) seen.push(`${rel}\0${st.mode}\0${st.size}\0${st.ino}\0${st.ctimeMs}\0${st.mtimeMs}`);
    if (st.isDirectory()) {
      if (st.dev === rootStat.dev) dirs.push(rel);
    } else {
      result.bytes += st.size;
      if (st.isFile() && st.size > (result.largest?.bytes ?? -1)) result.largest = { path: rel, bytes: st.size };
    }
    if (result.entries > budget.maxEntries) result.over = 'entries';
    else if (result.bytes > budget.maxBytes) result.over = 'bytes';
  };

  while (dirs.length > 0 && !done()) {
    const rel = dirs.pop()!;
    const abs = join(root, rel);
    if (rel !== '') {
      // Entered only if it is still a directory here (not a symlink swapped in since it was counted).
      const st = await lstat(abs).catch(() => undefined);
      if (!st?.isDirectory() || st.dev !== rootStat.dev) continue;
    }
    let dir;
    try {
      dir = await opendir(abs, { bufferSize: 256 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') result.unreadable.push(rel || '.');
      continue;
    }
    let batch: string[] = [];
    try {
      for await (const entry of dir) {
        batch.push(rel === '' ? entry.name : `${rel}/${entry.name}`);
        if (batch.length >= CONCURRENCY) {
          await Promise.all(batch.map(count));
          batch = [];
          if (done()) break; // leaving the loop closes the directory
        }
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') result.unreadable.push(rel || '.');
    }
    if (!done()) await Promise.all(batch.map(count));
  }
  if (seen && !done()) {
    const hash = createHash('sha256');
    for (const line of seen.sort()) hash.update(`${line}\n`);
    result.fingerprint = hash.digest('hex');
  }
  return result;
}
