import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CodexError } from '../errors.js';
import { parseNumstat, type TaskDiff } from './diff-stat.js';
import { GIT_TIMEOUT, runHostGit } from './host-git.js';
import { snapshotWorkTree } from './snapshot-tree.js';

export interface CommitInput {
  dataDir: string;
  mirrorDir: string;
  /** Host path of the checkout; read as a plain work tree, its `.git` is never consulted. */
  dir: string;
  branch: string;
  /** The branch tip the checkout started from: the commit's parent and the CAS guard. */
  startSha: string;
  baseSha: string;
  message: string;
  author: { name: string; email: string };
  maxDiffBytes: number;
  /**
   * Runs the ref update under the repo's lock. Only the update takes it: hashing the work tree
   * and writing the tree and commit objects (minutes for a large tree) run outside, so other
   * tasks of the repo (checkouts, commits, pushes) do not wait for them. Object writes need no
   * lock (git writes each object atomically, and the same object twice is the same bytes).
   */
  withRefLock: <T>(update: () => Promise<T>) => Promise<T>;
}

export interface CommitOutcome extends TaskDiff {
  /** The branch tip after the commit (the start commit when nothing changed). */
  commitSha: string;
  /** False when the work tree equals the start commit: no commit was made. */
  committed: boolean;
  /** Git repositories found inside the work tree (`path/`); their contents are not committed. */
  skippedNestedRepos: string[];
}

/**
 * Commits the checkout's work tree onto the task branch in the mirror.
 *
 * Host git runs with the mirror as GIT_DIR, a private index under the data directory and the
 * checkout as GIT_WORK_TREE, so nothing the sandbox wrote into the checkout's `.git` (config,
 * hooks, attributes, alternates, a `.git` symlink, commits of its own) is read. The result is
 * one commit whose tree is exactly the work tree; commits the agent made inside the sandbox
 * are folded into it. Only `.gitignore` and `.gitattributes` of the work tree count, and the
 * latter can name no driver because the mirror's config defines none.
 *
 * The caller must stop the sandbox first: git must not walk a tree that is being changed
 * under it (a directory swapped for a symlink mid-walk could point git at a host file), and
 * check the tree's size (Workspace.finishCheckout does): every call here is bounded in time,
 * but hashing a huge tree is still slow.
 */
export async function commitCheckout(input: CommitInput): Promise<CommitOutcome> {
  const tmpDir = join(input.dataDir, 'tmp');
  await mkdir(tmpDir, { recursive: true });
  const indexFile = join(tmpDir, `index-${randomBytes(6).toString('hex')}`);
  const gitDir = input.mirrorDir;
  try {
    const { tree, nestedRepos } = await snapshotWorkTree({ gitDir, indexFile, dir: input.dir, from: input.startSha });
    const startTree = (await runHostGit(['rev-parse', `${input.startSha}^{tree}`], { gitDir, timeoutMs: GIT_TIMEOUT.ref })).stdout.trim();
    let commitSha = input.startSha;
    if (tree !== startTree) {
      const identity = {
        GIT_AUTHOR_NAME: input.author.name,
        GIT_AUTHOR_EMAIL: input.author.email,
        GIT_COMMITTER_NAME: input.author.name,
        GIT_COMMITTER_EMAIL: input.author.email,
      };
      commitSha = (await runHostGit(['commit-tree', tree, '-p', input.startSha, '-F', '-'], { gitDir, env: identity, input: input.message, timeoutMs: GIT_TIMEOUT.ref })).stdout.trim();
      try {
        // Compare-and-swap: fails if the branch moved since the checkout was made. The only step
        // under the repo's lock.
        await input.withRefLock(() => runHostGit(['update-ref', '-m', 'codex: task commit', `refs/heads/${input.branch}`, commitSha, input.startSha], { gitDir, timeoutMs: GIT_TIMEOUT.ref }));
      } catch (e) {
        throw new CodexError('branch_moved', `Branch ${input.branch} moved while the task ran; commit ${commitSha} was not recorded.`, {
          cause: e,
          userMessage: `The branch ${input.branch} changed while this task ran, so its result was not saved. Start a follow-up from the branch.`,
        });
      }
    }
    const diff = await diffAgainstBase(gitDir, input.baseSha, commitSha, input.maxDiffBytes);
    return { ...diff, commitSha, committed: commitSha !== input.startSha, skippedNestedRepos: nestedRepos };
  } finally {
    await rm(indexFile, { force: true });
  }
}

/** The diff stat and full text diff of `to` against `base`, both taken from the mirror. */
export async function diffAgainstBase(gitDir: string, base: string, to: string, maxDiffBytes: number): Promise<TaskDiff> {
  const common = ['--no-ext-diff', '--no-textconv', '--no-color', '--find-renames', base, to];
  const numstat = await runHostGit(['diff', '--numstat', '-z', ...common], { gitDir, timeoutMs: GIT_TIMEOUT.tree });
  const patch = await runHostGit(['diff', '--patch', ...common], { gitDir, maxOutputBytes: maxDiffBytes, timeoutMs: GIT_TIMEOUT.tree });
  return { stat: parseNumstat(numstat.stdout), diff: patch.stdout, diffTruncated: patch.truncated };
}
