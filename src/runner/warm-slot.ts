import { link, mkdir, readdir, rmdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type Docker from 'dockerode';
import type { Logger } from '../logger.js';
import { MIRROR_OBJECTS_MOUNT } from './checkout.js';
import { removeTree } from './remove-tree.js';
import { INSTALLATION_SKILLS_DIR } from './sandbox.js';
import { SETUP_CACHE_MOUNT } from './setup-cache.js';
import type { ReadOnlyMount } from './workspace.js';

/**
 * The host directories of one warm sandbox, all under `<dataDir>/warm/`:
 * - `<name>.ws`: mounted read-write at /workspace; empty until a task claims the sandbox, then
 *   the task's checkout is made in it (Workspace.createCheckout's `dir`);
 * - `<name>.ro/objects`: mounted read-only at MIRROR_OBJECTS_MOUNT; hard links to the task's
 *   mirror objects are made in it at the claim;
 * - `<name>.ro/setup`: mounted read-only at the setup cache's directory; the cached tarball of
 *   a setup cache hit is linked in at the claim.
 * Why links into fixed directories: Docker sets a container's mounts at creation and never
 * changes them, and a bind mount shows what is added to its directory later. So the container
 * is created knowing no repo and no task, and sees its task's files only once they are put
 * there; what it can see is what the cold path mounts for that task, nothing more.
 */
export function slotDirs(dataDir: string, name: string) {
  const root = join(dataDir, 'warm');
  return { root, workspace: join(root, `${name}.ws`), objects: join(root, `${name}.ro`, 'objects'), setup: join(root, `${name}.ro`, 'setup'), ro: join(root, `${name}.ro`) };
}

export const SETUP_CACHE_DIR = SETUP_CACHE_MOUNT.slice(0, SETUP_CACHE_MOUNT.lastIndexOf('/'));
const SETUP_CACHE_FILE = SETUP_CACHE_MOUNT.slice(SETUP_CACHE_MOUNT.lastIndexOf('/') + 1);

/**
 * A warm sandbox claimed by one task (WarmPool.claim). The task makes its checkout in
 * `workspaceDir`, then `adopt`s its read-only mounts, then runs in `container`
 * (DockerSandboxOptions.warm); stopping that sandbox calls `release`. A slot that is not
 * adopted must be released by whoever claimed it.
 */
export class WarmSlot {
  private released = false;

  constructor(
    /** The container's name; the sandbox's id. */
    readonly container: string,
    private readonly dirs: ReturnType<typeof slotDirs>,
    private readonly docker: Docker,
    private readonly skillsDir: string | undefined,
    private readonly log: Logger,
  ) {}

  /** Where the task's checkout must be made (an empty directory the container mounts at /workspace). */
  get workspaceDir(): string {
    return this.dirs.workspace;
  }

  /**
   * Makes the task's read-only mounts visible in the container. False when one of them is not
   * one this slot can serve (the caller then starts a cold sandbox); never partial in effect,
   * since a slot that returns false is released. `underMirrorLock` holds off a repack of the
   * mirror while its objects are linked (Workspace.underRepoLock).
   */
  async adopt(mounts: ReadOnlyMount[], underMirrorLock: (work: () => Promise<void>) => Promise<void> = (w) => w()): Promise<boolean> {
    for (const m of mounts) {
      if (m.target === MIRROR_OBJECTS_MOUNT || m.target === SETUP_CACHE_MOUNT) continue;
      if (m.target === INSTALLATION_SKILLS_DIR && m.source === this.skillsDir) continue;
      return false;
    }
    try {
      for (const m of mounts) {
        if (m.target === MIRROR_OBJECTS_MOUNT) await underMirrorLock(() => linkTree(m.source, this.dirs.objects));
        if (m.target === SETUP_CACHE_MOUNT) await link(m.source, join(this.dirs.setup, SETUP_CACHE_FILE));
      }
      return true;
    } catch (e) {
      // EXDEV (the mirror or cache on another file system than the warm directory) or a file gone.
      this.log.warn({ err: e, container: this.container }, 'could not link the task files into a warm sandbox; starting a new one');
      return false;
    }
  }

  /** Removes the container and the slot's read-only directories (the checkout is the task's to remove); idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.docker
      .getContainer(this.container)
      .remove({ force: true })
      .catch((e: { statusCode?: number }) => {
        if (e.statusCode !== 404) this.log.warn({ err: e, container: this.container }, 'could not remove a warm sandbox');
      });
    await removeTree(this.dirs.ro).catch(() => undefined);
    // Left empty when no checkout was made in it; a checkout is removed by its task (rmdir fails on it).
    await rmdir(this.dirs.workspace).catch(() => undefined);
  }
}

/**
 * Hard-links every file under `from` into `to` (same tree). Objects and packs are never
 * rewritten in place (git writes new files and renames), so a link is a stable snapshot; the
 * mount is read-only, so the sandbox cannot change the mirror through it either.
 */
async function linkTree(from: string, to: string): Promise<void> {
  const entries = await readdir(from, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    const target = join(to, relative(from, join(e.parentPath, e.name)));
    if (e.isDirectory()) await mkdir(target, { recursive: true });
    else if (e.isFile()) {
      await mkdir(join(target, '..'), { recursive: true });
      await link(join(e.parentPath, e.name), target).catch((err: NodeJS.ErrnoException) => {
        // Removed by a concurrent repack: its objects are in the new pack, linked too.
        if (err.code !== 'ENOENT' && err.code !== 'EEXIST') throw err;
      });
    }
  }
}
