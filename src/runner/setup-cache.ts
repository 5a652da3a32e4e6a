import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { CodexError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { GIT_TIMEOUT, runHostGit } from './host-git.js';

/*
 * The setup cache: what a repo's `setup` commands left in the work tree (untracked and ignored
 * files, such as node_modules), kept as one tarball per key under the worker's data directory
 * (`<dataDir>/setup-cache/<key>.tar`). The key is a hash of the repo, the sandbox image's id,
 * the setup commands and the blobs of the lockfiles at the root of the commit the checkout
 * starts from, all read by the host (Docker, host git on the mirror), never from the tree.
 *
 * Both ends run inside the sandbox, so the host never walks or unpacks a tree the sandbox
 * writes: after setup, `tar` in the sandbox packs the untracked files into one file at the
 * checkout's root, which the host opens without following links and moves into the cache; a
 * later turn with the same key gets that tarball mounted read-only and unpacks it in its
 * sandbox instead of running setup. Entries are evicted least recently used first (a hit
 * refreshes an entry's time) once the cache holds more than its cap (config `cache.maxGb`).
 */

/**
 * Where a cached tarball is mounted (read-only) in the sandbox of a turn that reuses it. In a
 * directory of its own: a warm sandbox (warm-pool.ts) mounts that directory before any task
 * claims it, and the tarball is linked into it at the claim.
 */
export const SETUP_CACHE_MOUNT = '/opt/codex/setup-cache/setup.tar';
/** Where the sandbox packs setup's files, at the checkout's root; removed before the agent starts. */
const PACKED = '.codex-setup-cache.tar';

const LOCKFILES = new Set([
  'package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lockb', 'bun.lock', 'deno.lock',
  'poetry.lock', 'Pipfile.lock', 'uv.lock', 'pdm.lock', 'Cargo.lock', 'go.sum', 'Gemfile.lock', 'composer.lock',
  'mix.lock', 'pubspec.lock', 'Package.resolved', 'Podfile.lock', 'flake.lock', 'gradle.lockfile', 'packages.lock.json',
]);

/** A lockfile at a repo's root: one of LOCKFILES, or a pip requirements file (`requirements*.txt`). */
export function isLockfile(name: string): boolean {
  return LOCKFILES.has(name) || /^requirements[^/]*\.txt$/.test(name);
}

/** In the sandbox: unpack the cached tarball into the checkout. */
export const RESTORE_COMMAND = `tar -xf ${SETUP_CACHE_MOUNT} -C /workspace`;
/** In the sandbox: pack every untracked file (ignored ones included) but the pack itself. */
export const PACK_COMMAND = `set -o pipefail; git ls-files -z --others -x /${PACKED} | tar --null --no-recursion -T - -cf ${PACKED}`;

export interface SetupCacheOptions {
  /** Directory of the cache (`<dataDir>/setup-cache`). */
  dir: string;
  /** Bytes the cache may hold; the least recently used entries go first beyond it. */
  maxBytes: number;
  docker: Docker;
  logger?: Logger;
}

export interface SetupCacheKeyInput {
  repo: string;
  image: string;
  setup: string[];
  /** The mirror holding `commit` (trusted: host git reads it). */
  mirrorDir: string;
  /** The commit the checkout starts from; its root's lockfiles are part of the key. */
  commit: string;
}

export class SetupCache {
  private readonly log: Logger;

  constructor(private readonly options: SetupCacheOptions) {
    this.log = options.logger ?? silentLogger();
  }

  /** The key of a checkout's setup: the same key means setup would produce the same files. */
  async key(input: SetupCacheKeyInput): Promise<string> {
    const image = await this.options.docker.getImage(input.image).inspect();
    const tree = await runHostGit(['ls-tree', '-z', input.commit], { gitDir: input.mirrorDir, timeoutMs: GIT_TIMEOUT.ref });
    const lockfiles = tree.stdout
      .split('\0')
      .map((line) => /^\d+ blob ([0-9a-f]+)\t(.+)$/s.exec(line))
      .flatMap((m) => (m && isLockfile(m[2]!) ? [`${m[2]}:${m[1]}`] : []))
      .sort();
    const what = JSON.stringify({ v: 1, repo: input.repo, image: image.Id, setup: input.setup, lockfiles });
    return createHash('sha256').update(what).digest('hex');
  }

  /** The tarball of `key`, marked as used now; undefined when there is none. */
  async lookup(key: string): Promise<string | undefined> {
    const file = this.path(key);
    const now = new Date();
    return utimes(file, now, now).then(
      () => file,
      () => undefined,
    );
  }

  /**
   * Moves what PACK_COMMAND left at the checkout's root into the cache as `key`'s entry (a
   * regular file only: a link there is refused), then evicts beyond the cap. Run it once the
   * command finished; the pack is removed from the checkout in any case.
   */
  async store(key: string, checkoutDir: string): Promise<void> {
    const packed = join(checkoutDir, PACKED);
    // Only the worker can reach the entries (0700), but the sandbox's user reads the one mounted into it.
    await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
    const partial = join(this.options.dir, `.${key}.${randomBytes(4).toString('hex')}.partial`);
    try {
      const source = await open(packed, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        if (!(await source.stat()).isFile()) throw new CodexError('setup_cache_invalid', 'the packed setup files are not a regular file');
        const target = await open(partial, 'wx', 0o644);
        await pipeline(source.createReadStream({ autoClose: false }), target.createWriteStream());
      } finally {
        await source.close();
      }
      await rename(partial, this.path(key));
    } finally {
      await rm(partial, { force: true });
      await unlink(packed).catch(() => undefined);
    }
    await this.evict();
  }

  /** Removes the pack from a checkout whose storing was skipped or failed. */
  async discardPack(checkoutDir: string): Promise<void> {
    await unlink(join(checkoutDir, PACKED)).catch(() => undefined);
  }

  /** Deletes the least recently used entries until the cache is within its cap. */
  async evict(): Promise<string[]> {
    const names = (await readdir(this.options.dir).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{64}\.tar$/.test(n));
    const entries = (await Promise.all(names.map(async (name) => ({ name, s: await stat(join(this.options.dir, name)).catch(() => undefined) }))))
      .flatMap(({ name, s }) => (s ? [{ name, bytes: s.size, used: s.mtimeMs }] : []))
      .sort((a, b) => b.used - a.used);
    let total = 0;
    const evicted: string[] = [];
    for (const entry of entries) {
      total += entry.bytes;
      if (total <= this.options.maxBytes) continue;
      await rm(join(this.options.dir, entry.name), { force: true });
      evicted.push(entry.name.slice(0, -'.tar'.length));
    }
    if (evicted.length) this.log.info({ evicted: evicted.length }, 'setup cache entries evicted (least recently used)');
    return evicted;
  }

  private path(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new CodexError('setup_cache_invalid', `not a setup cache key: ${key}`);
    return join(this.options.dir, `${key}.tar`);
  }
}
