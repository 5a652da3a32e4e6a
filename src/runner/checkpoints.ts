import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CodexError } from '../errors.js';
import { assertTaskId } from '../tasks/branch-name.js';
import { credentialEnv, type GitAuth } from './git-auth.js';
import { GIT_TIMEOUT, runHostGit } from './host-git.js';
import { mirrorPath, resolveRef } from './mirror.js';
import { chownTree } from './sandbox-user.js';
import { snapshotWorkTree } from './snapshot-tree.js';
import type { TaskCheckout } from './workspace.js';

/*
 * Checkpoints of a turn's work tree, so that a turn whose worker died goes on from its last
 * completed step with the files as they were then, not from the branch's last commit.
 *
 * A checkpoint is a commit object in the repo's mirror whose tree is the whole work tree
 * (tracked and untracked files, ignored ones left out: exactly what the turn's commit would
 * hold, see snapshot-tree.ts). Its parent is the previous checkpoint of the task (or the
 * branch tip the turn started from), and `refs/codex/checkpoints/<task id>` points at the
 * newest, so every checkpoint of the task stays reachable (gc keeps them) until the task's
 * turn ends and the ref is deleted. Which checkpoint a turn resumes from is not the ref but
 * the commit named in the saved conversation: the two are saved together (TaskStore.save), so
 * the files and the conversation always agree.
 *
 * Host git writes them the way it writes the task commit: the mirror as GIT_DIR, the checkout
 * only as GIT_WORK_TREE, and a private index (kept for the run, so each checkpoint rehashes
 * only the files whose stat changed); the checkout's own `.git` is never read.
 */

const REF_PREFIX = 'refs/codex/checkpoints/';
const PATH_SAFE_TASK_ID = /^[A-Za-z0-9_-]{1,128}$/;

export interface CheckpointsOptions {
  /** Config.dataDir: the mirrors and the private index files. */
  dataDir: string;
  author?: { name: string; email: string };
  /** Credentials for pushing and fetching checkpoints (a code host's token); the worker's own when absent. */
  gitAuth?: GitAuth;
}

/** The ref that keeps a task's checkpoints reachable. */
export function checkpointRef(taskId: string): string {
  assertTaskId(taskId);
  return `${REF_PREFIX}${taskId}`;
}

export class Checkpoints {
  private readonly author: { name: string; email: string };

  constructor(private readonly options: CheckpointsOptions) {
    this.author = options.author ?? { name: 'Codex', email: 'codex@localhost' };
  }

  /** The private index of one run's checkpoints; delete it with `forget` when the run ends (Workspace.reapCheckouts deletes a dead run's by this name). */
  indexFileOf(checkout: Pick<TaskCheckout, 'dir'>): string {
    return join(this.options.dataDir, 'tmp', `checkpoint-index-${basename(checkout.dir)}`);
  }

  /**
   * Records the work tree as a checkpoint and returns its commit. `parent`: the run's previous
   * checkpoint (undefined for its first, which reads the index from the turn's start commit).
   * The caller makes sure nothing changes the tree meanwhile (the sandbox frozen).
   */
  async record(checkout: TaskCheckout, input: { parent?: string; message: string }): Promise<string> {
    const gitDir = checkout.mirrorDir;
    const indexFile = this.indexFileOf(checkout);
    await mkdir(join(this.options.dataDir, 'tmp'), { recursive: true });
    const { tree } = await snapshotWorkTree({ gitDir, indexFile, dir: checkout.dir, from: input.parent ? undefined : checkout.startSha });
    const identity = { GIT_AUTHOR_NAME: this.author.name, GIT_AUTHOR_EMAIL: this.author.email, GIT_COMMITTER_NAME: this.author.name, GIT_COMMITTER_EMAIL: this.author.email };
    const parent = input.parent ?? checkout.startSha;
    const commit = (await runHostGit(['commit-tree', tree, '-p', parent, '-F', '-'], { gitDir, env: identity, input: input.message, timeoutMs: GIT_TIMEOUT.ref })).stdout.trim();
    // Only this run writes the task's ref (a superseded run is fenced before it saves, and a
    // newer chain starts from the commit the conversation names, so its parents stay reachable).
    await runHostGit(['update-ref', '-m', 'codex: checkpoint', checkpointRef(checkout.taskId), commit], { gitDir, timeoutMs: GIT_TIMEOUT.ref });
    return commit;
  }

  /**
   * Puts the checkpoint's tree into a fresh checkout (made from the branch tip the checkpoint's
   * turn started from): changed files rewritten, deleted ones removed, untracked ones back. The
   * checkout's own index still describes the branch tip, so inside the sandbox `git status`
   * shows the restored work as changes, as it was. Run before the sandbox starts.
   */
  async restore(checkout: TaskCheckout, commit: string): Promise<void> {
    const gitDir = checkout.mirrorDir;
    await mkdir(join(this.options.dataDir, 'tmp'), { recursive: true });
    const indexFile = join(this.options.dataDir, 'tmp', `restore-index-${randomBytes(6).toString('hex')}`);
    const withIndex = { gitDir, indexFile, workTree: checkout.dir, cwd: checkout.dir, timeoutMs: GIT_TIMEOUT.tree };
    try {
      const found = await runHostGit(['rev-parse', '--verify', '--quiet', `${commit}^{tree}`], { gitDir, okExitCodes: [1, 128], timeoutMs: GIT_TIMEOUT.ref });
      const tree = found.exitCode === 0 ? found.stdout.trim() : undefined;
      if (!tree) throw new CodexError('checkpoint_missing', `checkpoint ${commit} of task ${checkout.taskId} is not in the mirror`, { userMessage: 'The saved state of this turn could not be found on the worker, so its files could not be restored. Reply in this thread to try again.' });
      await runHostGit(['read-tree', checkout.startSha], withIndex);
      // Plumbing only (no hooks, no filters: the mirror's config defines none).
      await runHostGit(['read-tree', '--reset', '-u', tree], withIndex);
    } finally {
      await rm(indexFile, { force: true });
    }
    await chownTree(checkout.dir, checkout.sandboxUser);
  }

  /** True when the mirror holds the commit (a checkpoint made on another host may not be here). */
  async has(repo: { name: string }, commit: string): Promise<boolean> {
    return (await resolveRef(mirrorPath(this.options.dataDir, repo.name), commit)) !== undefined;
  }

  /** Deletes the run's private index. */
  async forget(checkout: Pick<TaskCheckout, 'dir'>): Promise<void> {
    await rm(this.indexFileOf(checkout), { force: true });
  }

  /** Deletes the task's checkpoint ref (the turn ended: its commit holds the work). Idempotent. */
  async drop(repo: { name: string }, taskId: string): Promise<void> {
    const gitDir = mirrorPath(this.options.dataDir, repo.name);
    await runHostGit(['update-ref', '-d', checkpointRef(taskId)], { gitDir, timeoutMs: GIT_TIMEOUT.ref });
  }

  /**
   * Pushes the task's checkpoint ref to `url` (forced: checkpoints of a resumed run fork from
   * an earlier one), so a worker on another host can restore it. With `deleteIt`, deletes it there.
   */
  async push(repo: { name: string }, taskId: string, url: string, deleteIt = false): Promise<void> {
    const ref = checkpointRef(taskId);
    const spec = deleteIt ? `:${ref}` : `+${ref}:${ref}`;
    await runHostGit(['push', '--quiet', '--no-verify', '--', url, spec], { gitDir: mirrorPath(this.options.dataDir, repo.name), env: await this.authEnv(repo.name), timeoutMs: GIT_TIMEOUT.transfer });
  }

  /** Fetches the task's checkpoint ref from `url` into the mirror (made on another host); false when upstream has none. */
  async fetch(repo: { name: string }, taskId: string, url: string): Promise<boolean> {
    const ref = checkpointRef(taskId);
    const gitDir = mirrorPath(this.options.dataDir, repo.name);
    const r = await runHostGit(['fetch', '--quiet', '--no-tags', '--no-recurse-submodules', '--', url, `+${ref}:${ref}`], { gitDir, env: await this.authEnv(repo.name), okExitCodes: [128], timeoutMs: GIT_TIMEOUT.transfer });
    return r.exitCode === 0;
  }

  /**
   * Deletes the checkpoint refs of tasks that no longer run, in every mirror (a turn whose
   * worker died and that was then failed by the sweep never dropped its own). A task whose
   * liveness check throws keeps its ref. Returns the task ids whose refs were deleted.
   */
  async reap(isLive: (taskId: string) => boolean | Promise<boolean>): Promise<string[]> {
    const root = join(this.options.dataDir, 'mirrors');
    const mirrors = (await readdir(root).catch(() => [] as string[])).filter((n) => n.endsWith('.git'));
    const removed: string[] = [];
    for (const mirror of mirrors) {
      const gitDir = join(root, mirror);
      const refs = (await runHostGit(['for-each-ref', '--format=%(refname)', REF_PREFIX], { gitDir, timeoutMs: GIT_TIMEOUT.ref })).stdout.split('\n').filter(Boolean);
      for (const ref of refs) {
        const taskId = ref.slice(REF_PREFIX.length);
        if (await Promise.resolve(isLive(taskId)).catch(() => true)) continue;
        await runHostGit(['update-ref', '-d', ref], { gitDir, timeoutMs: GIT_TIMEOUT.ref });
        removed.push(taskId);
      }
    }
    return removed;
  }

  /**
   * Deletes, at `url`, the pushed checkpoint refs of tasks that `isEnded` says have ended (a
   * turn that ended normally deleted its own; one whose worker died and that the sweep then
   * failed did not). Refs of tasks `isEnded` does not know stay: the upstream may be shared
   * with another installation. Each delete is leased on the commit listed, so a ref a new turn
   * pushed meanwhile stays. Returns the task ids whose refs were deleted; throws when the
   * upstream cannot be listed.
   */
  async reapPushed(repo: { name: string }, url: string, isEnded: (taskId: string) => Promise<boolean>): Promise<string[]> {
    const gitDir = mirrorPath(this.options.dataDir, repo.name);
    // No mirror here: this worker never ran a task of the repo, so it pushed nothing there.
    if (!(await stat(gitDir).then(() => true, () => false))) return [];
    const env = await this.authEnv(repo.name);
    const listed = await runHostGit(['ls-remote', '--refs', '--', url, `${REF_PREFIX}*`], { gitDir, env, timeoutMs: GIT_TIMEOUT.transfer });
    const ended: Array<{ taskId: string; ref: string; commit: string }> = [];
    for (const line of listed.stdout.split('\n').filter(Boolean)) {
      const [commit, ref] = line.split('\t');
      if (!commit || !ref?.startsWith(REF_PREFIX)) continue;
      const taskId = ref.slice(REF_PREFIX.length);
      if (!PATH_SAFE_TASK_ID.test(taskId)) continue;
      if (await isEnded(taskId).catch(() => false)) ended.push({ taskId, ref, commit });
    }
    // One push each (they are few: turns that died): a lease that fails keeps only its own ref.
    const removed: string[] = [];
    for (const e of ended) {
      const r = await runHostGit(['push', '--quiet', '--no-verify', `--force-with-lease=${e.ref}:${e.commit}`, '--', url, `:${e.ref}`], { gitDir, env, okExitCodes: [1], timeoutMs: GIT_TIMEOUT.transfer });
      if (r.exitCode === 0) removed.push(e.taskId);
    }
    return removed;
  }

  private async authEnv(repoName: string): Promise<Record<string, string>> {
    return credentialEnv(this.options.gitAuth ? await this.options.gitAuth(repoName) : undefined);
  }
}
