import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CodexError } from '../errors.js';
import { stripUrlCredentials } from '../util/redact.js';
import { GIT_TIMEOUT, runHostGit } from './host-git.js';

/**
 * The per-repo cache: a bare repository at `<dataDir>/mirrors/<repo>.git` that is fetched,
 * never re-cloned, before each task. Its layout keeps upstream and task work apart:
 *   refs/remotes/origin/*  upstream branches, rewritten (and pruned) by every fetch;
 *   refs/heads/codex/*     task branches, written only by the worker's host-side commits.
 * So a fetch can never clobber a task branch, and the mirror doubles as the branch store that
 * outlives checkouts. Only the worker writes it; sandboxes see its `objects` read-only.
 */
export function mirrorPath(dataDir: string, repoName: string): string {
  return join(dataDir, 'mirrors', `${repoName}.git`);
}

export function upstreamRef(baseBranch: string): string {
  return `refs/remotes/origin/${baseBranch}`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Creates the bare mirror if missing (atomically: built aside, then renamed into place). */
async function initMirror(path: string, url: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.init-${randomBytes(4).toString('hex')}`;
  try {
    // `--template=` copies no hook samples or info files into the mirror.
    await runHostGit(['init', '--quiet', '--bare', '--template=', tmp], { timeoutMs: GIT_TIMEOUT.ref });
    const set = (key: string, value: string) => runHostGit(['config', key, value], { gitDir: tmp, timeoutMs: GIT_TIMEOUT.ref });
    await set('remote.origin.url', url);
    await set('remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*');
    await set('remote.origin.tagOpt', '--no-tags');
    // Sandboxes (another uid) read the objects through a bind mount, whatever the worker's umask.
    await set('core.sharedRepository', '0644');
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (await exists(join(path, 'HEAD'))) return; // another process won the race
    throw e;
  }
}

/** Ensures the mirror exists with the configured URL and fetches upstream into it. */
export async function syncMirror(dataDir: string, repo: { name: string; url: string }, auth: Record<string, string> = {}): Promise<string> {
  const path = mirrorPath(dataDir, repo.name);
  if (!(await exists(join(path, 'HEAD')))) await initMirror(path, repo.url);
  else await runHostGit(['config', 'remote.origin.url', repo.url], { gitDir: path, timeoutMs: GIT_TIMEOUT.ref });
  try {
    // `auth`: credentials for this one fetch, in its environment only (see git-auth.ts).
    await runHostGit(['fetch', '--quiet', '--prune', '--no-tags', '--no-recurse-submodules', 'origin'], { gitDir: path, env: auth, timeoutMs: GIT_TIMEOUT.transfer });
  } catch (e) {
    // The URL may carry credentials (https://user:token@host/…): never in a message or a log.
    throw new CodexError('repo_fetch_failed', stripUrlCredentials(`Fetching ${repo.name} from ${repo.url} failed: ${(e as Error).message}`), {
      cause: e,
      retryable: true,
      userMessage: `Could not fetch the repository "${repo.name}". Check its URL and the worker's access, then try again.`,
    });
  }
  return path;
}

/** The commit a ref points to in the mirror, or undefined when the ref does not exist. */
export async function resolveRef(gitDir: string, ref: string): Promise<string | undefined> {
  const r = await runHostGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { gitDir, okExitCodes: [1], timeoutMs: GIT_TIMEOUT.ref });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

/**
 * Garbage-collects the mirrors now and then (the worker calls it on its reaper interval):
 * `git gc --auto` in each, under the repo's lock and bounded in time, so loose objects of task
 * commits and fetches are packed and unreachable ones older than two weeks pruned. `--auto`
 * makes it cheap when there is nothing to do. Host git otherwise runs with gc off. Returns the
 * repos whose gc failed (logged, never thrown).
 */
export async function maintainMirrors(dataDir: string, lock: { run<T>(key: string, work: () => Promise<T>): Promise<T> }, log: { warn(obj: object, msg: string): void }): Promise<string[]> {
  const root = join(dataDir, 'mirrors');
  const names = (await readdir(root).catch(() => [] as string[])).filter((n) => n.endsWith('.git')).map((n) => n.slice(0, -'.git'.length));
  const failed: string[] = [];
  for (const name of names) {
    await lock
      .run(name, () =>
        runHostGit(['gc', '--auto', '--quiet'], {
          gitDir: mirrorPath(dataDir, name),
          // Later `-c` settings win over the hardening's gc.auto=0; never in the background,
          // so the lock and the timeout cover the whole gc.
          config: ['gc.auto=6700', 'gc.autoPackLimit=50', 'gc.autoDetach=false'],
          timeoutMs: GIT_TIMEOUT.gc,
        }),
      )
      .catch((e: unknown) => {
        failed.push(name);
        log.warn({ err: e, repo: name }, 'git gc of a mirror failed');
      });
  }
  return failed;
}
