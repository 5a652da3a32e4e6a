import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GIT_TIMEOUT, runHostGit } from './host-git.js';
import { chownTree, type SandboxUser } from './sandbox-user.js';

/**
 * A task's isolated checkout, built from the mirror without copying objects.
 *
 * Why alternates and not `git worktree`: a worktree's git dir lives inside the mirror
 * (`<mirror>/worktrees/<id>`), so the sandbox would need write access to the cache for its
 * index and HEAD. With alternates the checkout owns a complete small `.git` (index, HEAD,
 * refs, new objects) and only *reads* the mirror's objects, which the sandbox gets through a
 * read-only bind mount at MIRROR_OBJECTS_MOUNT. We build the `.git` by hand (init + alternates
 * + two refs) instead of `clone --shared` so that the checkout sees only its own branch and
 * its base, not every other task's branch; it takes tens of milliseconds on a warm cache.
 *
 * The alternates file names the container path, not the host path: host git never uses the
 * checkout's `.git` once it is built (the commit reads the work tree only), and a fixed path
 * keeps the data directory's location (e.g. under /root, which uid 1000 cannot traverse in
 * the image) out of the container.
 *
 * What sharing costs: every sandbox of a repo can read every object of the mirror, so every
 * other task's commits too (by hash; refs are not mounted, but `git cat-file --batch-all-objects`
 * lists them). A repo with `isolateObjects` gets no alternates and no mount: the objects
 * reachable from its base and its own branch are packed from the mirror into the checkout's own
 * `.git` (`git pack-objects --revs`, a few hundred ms to seconds, and the disk of one copy of
 * the history per checkout).
 */
export const MIRROR_OBJECTS_MOUNT = '/opt/codex/mirror/objects';

export interface MaterializeInput {
  dir: string;
  mirrorDir: string;
  branch: string;
  /** Commit the branch starts at (the base for a new task, the branch tip for a follow-up). */
  tipSha: string;
  baseBranch: string;
  baseSha: string;
  author: { name: string; email: string };
  sandboxUser: SandboxUser;
  /** Copy the objects reachable from tipSha and baseSha into the checkout instead of using alternates. */
  isolateObjects?: boolean;
  /** `dir` exists and must be empty (a warm sandbox already mounts it); otherwise it must not exist. */
  existingEmptyDir?: boolean;
}

export async function pathExists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Builds the checkout directory; on failure nothing is left behind. */
export async function materializeCheckout(input: MaterializeInput): Promise<void> {
  const { dir, mirrorDir } = input;
  const gitDir = join(dir, '.git');
  if (input.existingEmptyDir) {
    if ((await readdir(dir)).length > 0) throw new Error(`the checkout directory ${dir} is not empty`);
  } else {
    await mkdir(dir, { recursive: false });
  }
  try {
    await runHostGit(['init', '--quiet', '--template=', `--initial-branch=${input.branch}`, dir], { timeoutMs: GIT_TIMEOUT.ref });
    if (input.isolateObjects) {
      // Only what this task may see: one pack of everything reachable from its tip and its base.
      await runHostGit(['pack-objects', '--revs', '--quiet', '--delta-base-offset', join(gitDir, 'objects', 'pack', 'pack')], { gitDir: mirrorDir, input: `${input.tipSha}\n${input.baseSha}\n`, timeoutMs: GIT_TIMEOUT.transfer });
    } else {
      // Host path while we populate it; rewritten to the container path below.
      await writeFile(join(gitDir, 'objects', 'info', 'alternates'), `${join(mirrorDir, 'objects')}\n`);
    }
    await runHostGit(['update-ref', `refs/heads/${input.branch}`, input.tipSha], { gitDir, timeoutMs: GIT_TIMEOUT.ref });
    await runHostGit(['update-ref', `refs/remotes/origin/${input.baseBranch}`, input.baseSha], { gitDir, timeoutMs: GIT_TIMEOUT.ref });
    // Plumbing only: read-tree runs no hooks, and the fresh config defines no filters.
    await runHostGit(['read-tree', '--reset', '-u', 'HEAD'], { gitDir, workTree: dir, cwd: dir, timeoutMs: GIT_TIMEOUT.tree });
    const set = (key: string, value: string) => runHostGit(['config', key, value], { gitDir, timeoutMs: GIT_TIMEOUT.ref });
    // For commits the agent makes inside the sandbox; the host commit sets its own identity.
    await set('user.name', input.author.name);
    await set('user.email', input.author.email);
    if (!input.isolateObjects) await writeFile(join(gitDir, 'objects', 'info', 'alternates'), `${MIRROR_OBJECTS_MOUNT}\n`);
    await chownTree(dir, input.sandboxUser);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
