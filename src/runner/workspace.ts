import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_LIMITS, type Limits } from '../config.js';
import { CodexError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { assertTaskBranch, assertTaskId, taskBranchName } from '../tasks/branch-name.js';
import { MIRROR_OBJECTS_MOUNT, materializeCheckout, pathExists } from './checkout.js';
import { commitCheckout, type CommitOutcome } from './commit-checkout.js';
import { credentialEnv, type GitAuth } from './git-auth.js';
import { GIT_TIMEOUT, runHostGit } from './host-git.js';
import { KeyedLock } from './keyed-lock.js';
import { maintainMirrors, mirrorPath, resolveRef, syncMirror, upstreamRef } from './mirror.js';
import { removeTree } from './remove-tree.js';
import { sandboxUserFor, type SandboxUser } from './sandbox-user.js';
import { measureTree, type TreeSize } from './tree-size.js';

/** What the workspace needs of a repo (a subset of RepoConfig). */
export interface WorkspaceRepo {
  name: string;
  url: string;
  baseBranch: string;
  /** Copy only the task's own objects into its checkout and mount no mirror (see checkout.ts). */
  isolateObjects?: boolean;
  /** Size and file-count limits of the checkout (RepoConfig.limits); DEFAULT_LIMITS' when absent. */
  limits?: Pick<Limits, 'diskMb' | 'maxFiles'>;
}

/** What the checkout of a task may hold (see tree-size.ts for how it is counted). */
export interface CheckoutLimits {
  /** MiB of apparent size. */
  diskMb: number;
  /** Files, directories and symlinks. */
  maxFiles: number;
}

/** A host directory the sandbox sees read-only at `target`. */
export interface ReadOnlyMount {
  source: string;
  target: string;
}

/** A task's checkout on the host, and what a sandbox needs to mount it. */
export interface TaskCheckout {
  taskId: string;
  repo: string;
  branch: string;
  /** Host path; mount it at /workspace. */
  dir: string;
  mirrorDir: string;
  baseBranch: string;
  /** The commit diffs are taken against: the base branch at creation, the fork point for a follow-up. */
  baseSha: string;
  /** The branch tip when the checkout was made; the parent of the task's commit. */
  startSha: string;
  /** The mirror's objects, read-only at the path the checkout's alternates file names. */
  readOnlyMounts: ReadOnlyMount[];
  /** Owner of the checkout files; run the sandbox as this user. */
  sandboxUser: SandboxUser;
  limits: CheckoutLimits;
  /**
   * What the host itself put into the checkout's `.git` when it made it (index, refs and, with
   * isolateObjects, the pack of the task's history): not charged against `limits`. Everything
   * else counts, `.git` included: it is on the same disk and the sandbox writes it.
   */
  hostShare: { bytes: number; entries: number };
  /**
   * The checkpoint (a commit of the mirror) whose files this checkout was given after it was
   * made (src/runner/checkpoints.ts): the tree is then the agent's work, not the branch's.
   */
  restoredFrom?: string;
}

export interface TaskResult extends CommitOutcome {
  branch: string;
  baseSha: string;
  startSha: string;
}

export interface WorkspaceOptions {
  /** Absolute data directory (Config.dataDir); the Docker daemon must see it at the same path. */
  dataDir: string;
  /** Author and committer of task commits (default `Codex <codex@localhost>`). */
  author?: { name: string; email: string };
  sandboxUser?: SandboxUser;
  /** Cap of the full diff kept in memory (default 4 MiB); beyond it head and tail are kept. */
  maxDiffBytes?: number;
  /** Limits of checkouts whose repo names none (default DEFAULT_LIMITS'). */
  limits?: CheckoutLimits;
  logger?: Logger;
  /** Credentials for each fetch and push of a repo (a code host's token); the worker's own when absent. */
  gitAuth?: GitAuth;
}

/**
 * Checkouts of tasks: one cached mirror per repo, one isolated checkout per task on its own
 * branch, and a host-side commit at the end that never trusts anything the sandbox wrote into
 * the checkout's `.git`. Task branches live in the mirror (refs/heads/codex/*), so they
 * outlive their checkouts and a follow-up can continue them.
 */
export class Workspace {
  private readonly lock = new KeyedLock();
  private readonly author: { name: string; email: string };
  private readonly sandboxUser: SandboxUser;
  private readonly log: Logger;

  constructor(private readonly options: WorkspaceOptions) {
    this.author = options.author ?? { name: 'Codex', email: 'codex@localhost' };
    this.sandboxUser = options.sandboxUser ?? sandboxUserFor();
    this.log = options.logger ?? silentLogger();
  }

  /**
   * Fetches the repo's mirror and checks out a new task branch from the base branch. The branch
   * is `branch` when given (the task record's), else `codex/<short id>-<slug of prompt>`; the
   * base is `baseBranch` when given (e.g. `--branch`), else the repo's. Fails with
   * `branch_exists` rather than reuse a branch: continue one with continueCheckout.
   */
  async createCheckout(input: { repo: WorkspaceRepo; taskId: string; runId?: string; prompt: string; branch?: string; baseBranch?: string; dir?: string }): Promise<TaskCheckout> {
    const { taskId } = input;
    assertTaskId(taskId);
    const branch = input.branch ?? taskBranchName(taskId, input.prompt);
    assertTaskBranch(branch);
    const repo = { ...input.repo, baseBranch: await checkBranchName(input.baseBranch ?? input.repo.baseBranch) };
    const started = performance.now();
    const mirrorDir = await this.lock.run(repo.name, async () => syncMirror(this.options.dataDir, repo, await this.authEnv(repo.name)));
    const fetched = performance.now();
    const baseSha = await this.lock.run(repo.name, async () => {
      const sha = await resolveRef(mirrorDir, upstreamRef(repo.baseBranch));
      if (!sha) throw new CodexError('base_branch_missing', `Repo ${repo.name} has no branch ${repo.baseBranch}.`, { userMessage: `The repository "${repo.name}" has no branch "${repo.baseBranch}". Check the branch name or baseBranch in the repo config.` });
      // An empty old value makes the update fail if the branch already exists.
      await runHostGit(['update-ref', `refs/heads/${branch}`, sha, ''], { gitDir: mirrorDir, timeoutMs: GIT_TIMEOUT.ref }).catch((e) => {
        throw new CodexError('branch_exists', `Branch ${branch} already exists in ${repo.name}.`, { cause: e, userMessage: `The branch ${branch} already exists; continue it with a follow-up instead.` });
      });
      return sha;
    });
    try {
      const checkout = await this.materialize(repo, taskId, input.runId, mirrorDir, branch, baseSha, baseSha, input.dir);
      this.log.info({ taskId, repo: repo.name, branch, fetchMs: Math.round(fetched - started), checkoutMs: Math.round(performance.now() - fetched) }, 'checkout created');
      return checkout;
    } catch (e) {
      await this.lock.run(repo.name, () => runHostGit(['update-ref', '-d', `refs/heads/${branch}`, baseSha], { gitDir: mirrorDir, timeoutMs: GIT_TIMEOUT.ref })).catch(() => undefined);
      throw e;
    }
  }

  /** Checks out an existing task branch again for a follow-up turn; diffs stay against its fork point. */
  async continueCheckout(input: { repo: WorkspaceRepo; taskId: string; runId?: string; branch: string; baseBranch?: string; dir?: string }): Promise<TaskCheckout> {
    const { taskId, branch } = input;
    assertTaskId(taskId);
    assertTaskBranch(branch);
    const repo = { ...input.repo, baseBranch: await checkBranchName(input.baseBranch ?? input.repo.baseBranch) };
    const started = performance.now();
    const mirrorDir = await this.lock.run(repo.name, async () => syncMirror(this.options.dataDir, repo, await this.authEnv(repo.name)));
    const tip = await resolveRef(mirrorDir, `refs/heads/${branch}`);
    if (!tip) throw new CodexError('branch_not_found', `Branch ${branch} does not exist in ${repo.name}.`, { userMessage: `The branch ${branch} no longer exists, so this task cannot be continued.` });
    const upstream = await resolveRef(mirrorDir, upstreamRef(repo.baseBranch));
    const mergeBase = upstream ? await runHostGit(['merge-base', tip, upstream], { gitDir: mirrorDir, okExitCodes: [1], timeoutMs: GIT_TIMEOUT.ref }) : undefined;
    const baseSha = mergeBase?.stdout.trim() || tip;
    const checkout = await this.materialize(repo, taskId, input.runId, mirrorDir, branch, tip, baseSha, input.dir);
    this.log.info({ taskId, repo: repo.name, branch, checkoutMs: Math.round(performance.now() - started) }, 'checkout continued');
    return checkout;
  }

  /**
   * Commits the work tree onto the task branch, reports the diff against the base and removes
   * the checkout. Stop the sandbox first. A checkout over its limits is not committed (fails
   * with `workspace_too_large`). Only the ref update holds the repo's lock. On failure the
   * checkout is kept for inspection; call removeCheckout when done with it.
   */
  async finishCheckout(checkout: TaskCheckout, input: { message: string }): Promise<TaskResult> {
    await this.checkSize(checkout);
    const outcome = await commitCheckout({
      dataDir: this.options.dataDir,
      mirrorDir: checkout.mirrorDir,
      dir: checkout.dir,
      branch: checkout.branch,
      startSha: checkout.startSha,
      baseSha: checkout.baseSha,
      message: input.message,
      author: this.author,
      maxDiffBytes: this.options.maxDiffBytes ?? 4 * 1024 * 1024,
      withRefLock: (update) => this.lock.run(checkout.repo, update),
    });
    await this.removeCheckout(checkout);
    const { stat } = outcome;
    this.log.info({ taskId: checkout.taskId, branch: checkout.branch, commit: outcome.commitSha, files: stat.files.length, added: stat.added, removed: stat.removed }, 'task committed');
    return { ...outcome, branch: checkout.branch, baseSha: checkout.baseSha, startSha: checkout.startSha };
  }

  /**
   * Measures the checkout against its limits, stopping as soon as it is over one (fast: stats
   * only, no reading). Safe to call while the sandbox runs (a watchdog), decisive once it stopped.
   */
  async measureCheckout(checkout: TaskCheckout, options: { fingerprint?: boolean } = {}): Promise<TreeSize> {
    const { limits, hostShare } = checkout;
    return measureTree(checkout.dir, { maxBytes: limits.diskMb * MIB + hostShare.bytes, maxEntries: limits.maxFiles + hostShare.entries }, options);
  }

  /** Throws `workspace_too_large`, saying what was too big and what to do, when the checkout is over its limits. */
  async checkSize(checkout: TaskCheckout): Promise<void> {
    const size = await this.measureCheckout(checkout);
    if (!size.over) return;
    this.log.warn({ taskId: checkout.taskId, repo: checkout.repo, over: size.over, bytes: size.bytes, entries: size.entries, largest: size.largest }, 'checkout over its limits');
    throw tooLargeError(checkout, size);
  }

  /** Deletes the checkout directory; the branch stays in the mirror. Idempotent. */
  async removeCheckout(checkout: Pick<TaskCheckout, 'dir'>): Promise<void> {
    await removeTree(checkout.dir);
  }

  /**
   * Removes checkouts of tasks that no longer run (a crashed worker leaves them behind), like
   * reapOrphans does for containers. Branches are untouched. Returns the removed task ids.
   */
  async reapCheckouts(input: { isLive: (taskId: string) => boolean | Promise<boolean> }): Promise<string[]> {
    const root = join(this.options.dataDir, 'checkouts');
    const entries = await readdir(root).catch(() => [] as string[]);
    const removed: string[] = [];
    for (const name of entries) {
      const taskId = name.split('.')[0]!;
      if (await Promise.resolve(input.isLive(taskId)).catch(() => true)) continue;
      await removeTree(join(root, name));
      // The dead run's checkpoint index (named after its checkout: Checkpoints.indexFileOf).
      await rm(join(this.options.dataDir, 'tmp', `checkpoint-index-${name}`), { force: true });
      removed.push(taskId);
    }
    if (removed.length) this.log.info({ removed }, 'removed checkouts of tasks that no longer run');
    return removed;
  }

  /**
   * Pushes a task branch from the mirror to `url` with the worker's own credentials (SSH agent
   * or keys; host git reads no credential helper). A non-fast-forward is refused, never forced.
   */
  async pushBranch(repo: Pick<WorkspaceRepo, 'name'>, branch: string, url: string): Promise<string> {
    assertTaskBranch(branch);
    const mirrorDir = mirrorPath(this.options.dataDir, repo.name);
    return this.lock.run(repo.name, async () => {
      const sha = await resolveRef(mirrorDir, `refs/heads/${branch}`);
      if (!sha) throw new CodexError('branch_not_found', `branch ${branch} is not in the mirror of ${repo.name}`);
      try {
        await runHostGit(['push', '--quiet', '--no-verify', '--', url, `refs/heads/${branch}:refs/heads/${branch}`], { gitDir: mirrorDir, env: await this.authEnv(repo.name), timeoutMs: GIT_TIMEOUT.transfer });
      } catch (e) {
        throw new CodexError('push_failed', `pushing ${branch} failed: ${(e as Error).message}`, {
          cause: e,
          userMessage: `Pushing ${branch} failed: the upstream refused it or the worker has no write access. The branch is still on the worker; fix the access (or pushUrl in the repo config) and reply here to push again.`,
        });
      }
      return sha;
    });
  }

  /**
   * Makes a task branch that another worker pushed upstream (repo `pushBranches`) available in
   * this worker's mirror, so a follow-up can continue it here. Returns false when upstream has
   * no such branch either.
   */
  async adoptUpstreamBranch(repo: WorkspaceRepo, branch: string): Promise<boolean> {
    assertTaskBranch(branch);
    return this.lock.run(repo.name, async () => {
      const mirrorDir = await syncMirror(this.options.dataDir, repo, await this.authEnv(repo.name));
      if (await resolveRef(mirrorDir, `refs/heads/${branch}`)) return true;
      const sha = await resolveRef(mirrorDir, upstreamRef(branch));
      if (!sha) return false;
      await runHostGit(['update-ref', `refs/heads/${branch}`, sha, ''], { gitDir: mirrorDir, timeoutMs: GIT_TIMEOUT.ref });
      return true;
    });
  }

  /** Garbage-collects the mirrors now and then (see maintainMirrors in mirror.ts); the repos whose gc failed. */
  async maintainMirrors(): Promise<string[]> {
    return maintainMirrors(this.options.dataDir, this.lock, this.log);
  }

  /**
   * Undo: moves a task branch back from `from` to `to` (an earlier commit), in the mirror and,
   * when `url` is given, upstream with `--force-with-lease` (upstream must still be at `from`:
   * if someone else pushed meanwhile, nothing moves). Fails with `branch_moved` otherwise.
   */
  async resetBranch(repo: Pick<WorkspaceRepo, 'name'>, branch: string, move: { from: string; to: string; url?: string }): Promise<void> {
    assertTaskBranch(branch);
    const mirrorDir = mirrorPath(this.options.dataDir, repo.name);
    await this.lock.run(repo.name, async () => {
      const tip = await resolveRef(mirrorDir, `refs/heads/${branch}`);
      if (tip !== move.from) throw new CodexError('branch_moved', `branch ${branch} is at ${tip ?? 'nothing'}, not ${move.from}`, { userMessage: `The branch ${branch} has moved on since that turn, so it was not undone: undo the later turn first.` });
      if (move.url) {
        try {
          await runHostGit(['push', '--quiet', '--no-verify', `--force-with-lease=refs/heads/${branch}:${move.from}`, '--', move.url, `${move.to}:refs/heads/${branch}`], { gitDir: mirrorDir, env: await this.authEnv(repo.name), timeoutMs: GIT_TIMEOUT.transfer });
        } catch (e) {
          throw new CodexError('branch_moved', `force-with-lease push of ${branch} failed: ${(e as Error).message}`, {
            cause: e,
            userMessage: `The upstream branch ${branch} was not moved back: someone else pushed to it since (or the push was refused), so look at it on the remote and undo by hand if you still want to.`,
          });
        }
      }
      await runHostGit(['update-ref', `refs/heads/${branch}`, move.to, move.from], { gitDir: mirrorDir });
    });
  }

  /**
   * The change of upstream branch `head` against `base` (from their merge base), as of the last
   * fetch: what a review reads. Cut to `maxBytes` (head and tail kept).
   */
  async branchDiff(repo: Pick<WorkspaceRepo, 'name'>, base: string, head: string, maxBytes = 200_000): Promise<{ diff: string; truncated: boolean; baseSha: string; headSha: string }> {
    const mirrorDir = mirrorPath(this.options.dataDir, repo.name);
    const headSha = await resolveRef(mirrorDir, upstreamRef(head));
    const baseTip = await resolveRef(mirrorDir, upstreamRef(base));
    if (!headSha || !baseTip) throw new CodexError('branch_not_found', `no branch ${headSha ? base : head} in ${repo.name}`, { userMessage: `The repository "${repo.name}" has no branch "${headSha ? base : head}": check the name, then ask again.` });
    const mergeBase = (await runHostGit(['merge-base', baseTip, headSha], { gitDir: mirrorDir, okExitCodes: [1] })).stdout.trim() || baseTip;
    const r = await runHostGit(['diff', '--no-color', '--no-ext-diff', '--no-textconv', mergeBase, headSha], { gitDir: mirrorDir, maxOutputBytes: maxBytes });
    return { diff: r.stdout, truncated: r.truncated, baseSha: mergeBase, headSha };
  }

  /** The parent of a commit in the mirror (where a branch was before that turn's commit). */
  async parentOf(repo: Pick<WorkspaceRepo, 'name'>, commit: string): Promise<string | undefined> {
    return resolveRef(mirrorPath(this.options.dataDir, repo.name), `${commit}^`);
  }

  /** Fresh credentials for one git process talking to `repoName`'s remote (none without gitAuth). */
  private async authEnv(repoName: string): Promise<Record<string, string>> {
    return credentialEnv(this.options.gitAuth ? await this.options.gitAuth(repoName) : undefined);
  }

  /** The tip of a task branch in the mirror, or undefined when it does not exist. */
  async branchTip(repo: Pick<WorkspaceRepo, 'name'>, branch: string): Promise<string | undefined> {
    return resolveRef(mirrorPath(this.options.dataDir, repo.name), `refs/heads/${branch}`);
  }

  /** Runs `work` holding the repo's lock (no fetch, gc or ref update of its mirror meanwhile). */
  underRepoLock<T>(repo: string, work: () => Promise<T>): Promise<T> {
    return this.lock.run(repo, work);
  }

  /**
   * A run's own directory (`<task id>.<run id>`): two runs of one turn never share, or delete, a
   * checkout. `into`: an empty directory to make it in instead (a warm sandbox's, see warm-slot.ts).
   */
  private async materialize(repo: WorkspaceRepo, taskId: string, runId: string | undefined, mirrorDir: string, branch: string, tipSha: string, baseSha: string, into?: string): Promise<TaskCheckout> {
    const dir = into ?? join(this.options.dataDir, 'checkouts', runId ? `${taskId}.${runId}` : taskId);
    if (!into && (await pathExists(dir))) {
      this.log.warn({ taskId, dir }, 'removing a stale checkout left by an earlier run');
      await removeTree(dir);
    }
    await mkdir(join(this.options.dataDir, 'checkouts'), { recursive: true });
    const isolateObjects = repo.isolateObjects === true;
    await materializeCheckout({ dir, mirrorDir, branch, tipSha, baseBranch: repo.baseBranch, baseSha, author: this.author, sandboxUser: this.sandboxUser, isolateObjects, existingEmptyDir: into !== undefined });
    const gitShare = await measureTree(join(dir, '.git'));
    return {
      taskId,
      repo: repo.name,
      branch,
      dir,
      mirrorDir,
      baseBranch: repo.baseBranch,
      baseSha,
      startSha: tipSha,
      // An isolated checkout has its objects in its own .git: the shared objects are not mounted.
      readOnlyMounts: isolateObjects ? [] : [{ source: join(mirrorDir, 'objects'), target: MIRROR_OBJECTS_MOUNT }],
      sandboxUser: this.sandboxUser,
      limits: repo.limits ?? this.options.limits ?? { diskMb: DEFAULT_LIMITS.diskMb, maxFiles: DEFAULT_LIMITS.maxFiles },
      // `.git` itself is one more entry, and counted like any directory.
      hostShare: { bytes: gitShare.bytes, entries: gitShare.entries },
    };
  }
}

const MIB = 1024 * 1024;

function formatMib(bytes: number): string {
  const mib = bytes / MIB;
  return mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${Math.max(1, Math.round(mib))} MiB`;
}

/** The failure of a checkout over its limits: what was too big, and what to do about it. */
function tooLargeError(checkout: TaskCheckout, size: TreeSize): CodexError {
  const { diskMb, maxFiles } = checkout.limits;
  const largest = size.largest && size.largest.bytes >= MIB ? ` The largest file seen is \`${size.largest.path}\` (${formatMib(size.largest.bytes)}).` : '';
  const what =
    size.over === 'entries'
      ? `The task's checkout grew past its limit of ${maxFiles.toLocaleString('en-US')} files and directories (\`limits.maxFiles\`), so the task was stopped.`
      : `The task's checkout grew past its limit of ${formatMib(diskMb * MIB)} (\`limits.diskMb\`; sparse files count at their full size), so the task was stopped.${largest}`;
  const todo = ` Nothing from this turn was saved. Reply in this thread to try again, asking the agent to keep large or generated files (builds, downloads, caches) out of the repository (\`/tmp\` is for scratch files), or ask an admin to raise \`limits.${size.over === 'entries' ? 'maxFiles' : 'diskMb'}\` for "${checkout.repo}".`;
  return new CodexError('workspace_too_large', `checkout of ${checkout.taskId} over its limits (${size.over}: ${size.bytes} bytes, ${size.entries} entries seen)`, { userMessage: what + todo });
}

/** A base branch name from config or a user's flag, checked by git's own rules before use in a ref. */
async function checkBranchName(name: string): Promise<string> {
  const r = await runHostGit(['check-ref-format', '--branch', name], { okExitCodes: [1, 128], timeoutMs: GIT_TIMEOUT.ref });
  if (r.exitCode !== 0 || name.startsWith('-')) throw new CodexError('invalid_branch', `${JSON.stringify(name)} is not a valid branch name.`);
  return name;
}
