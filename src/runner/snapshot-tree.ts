import { GIT_TIMEOUT, runHostGit } from './host-git.js';

export interface SnapshotInput {
  /** The host-owned repository the tree's objects are written to (the mirror). */
  gitDir: string;
  /** A private index file: the checkout's own index is never read or written. */
  indexFile: string;
  /** The work tree (a checkout); its `.git` is never consulted. */
  dir: string;
  /**
   * A commit to read into the index first, or undefined to keep the index as it is: an index
   * kept from an earlier snapshot of the same tree makes git rehash only files whose stat changed.
   */
  from?: string;
}

export interface Snapshot {
  /** The tree object of the whole work tree: tracked and untracked files, minus ignored ones. */
  tree: string;
  /** Git repositories found inside the work tree (`path/`); their contents are left out. */
  nestedRepos: string[];
}

/**
 * Writes a tree object of the work tree into `gitDir` with host git (hardened: see host-git.ts)
 * and a private index. Files `.gitignore` names are left out, as in the task's commit; only the
 * work tree's own `.gitignore` and `.gitattributes` count. The caller must make sure nothing
 * changes the tree while git walks it (the sandbox stopped or frozen).
 *
 * Both the task commit (commit-checkout.ts) and the checkpoints (checkpoints.ts) are made
 * here, so a checkpoint restores exactly what the commit would have held.
 */
export async function snapshotWorkTree(input: SnapshotInput): Promise<Snapshot> {
  const withIndex = { gitDir: input.gitDir, indexFile: input.indexFile, workTree: input.dir, cwd: input.dir, timeoutMs: GIT_TIMEOUT.tree };
  if (input.from) await runHostGit(['read-tree', input.from], withIndex);
  // Repositories nested in the work tree would become gitlinks to commits nobody has (and a
  // nested repo with no commit makes `git add` fail), so they are left out and reported.
  const others = await runHostGit(['ls-files', '--others', '--exclude-standard', '-z'], withIndex);
  const nestedRepos = others.stdout.split('\0').filter((p) => p.endsWith('/'));
  const excludes = nestedRepos.map((p) => `:(top,literal,exclude)${p.slice(0, -1)}`);
  await runHostGit(['add', '--all', '--', ':/', ...excludes], withIndex);
  const tree = (await runHostGit(['write-tree'], withIndex)).stdout.trim();
  return { tree, nestedRepos };
}
