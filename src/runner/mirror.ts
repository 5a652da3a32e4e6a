import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CodexError } from '../errors.js';
import { stripUrlCredentials } from '../util/redact.js';
import { runHostGit } from './host-git.js';

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
    await runHostGit(['init', '--quiet', '--bare', '--template=', tmp]);
    const set = (key: string, value: string) => runHostGit(['config', key, value], { gitDir: tmp });
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
  else await runHostGit(['config', 'remote.origin.url', repo.url], { gitDir: path });
  try {
    // `auth`: credentials for this one fetch, in its environment only (see git-auth.ts).
    await runHostGit(['fetch', '--quiet', '--prune', '--no-tags', '--no-recurse-submodules', 'origin'], { gitDir: path, env: auth });
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
  const r = await runHostGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { gitDir, okExitCodes: [1] });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}
