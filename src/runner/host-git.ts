import { spawn } from 'node:child_process';
import { CodexError } from '../errors.js';
import { stripUrlCredentials } from '../util/redact.js';
import { CappedOutput } from './capped-output.js';

/*
 * Every git command the worker runs on the host goes through `runHostGit`. The invariant: host
 * git never executes anything a workspace controls. Checkouts are written by the sandbox, so
 * their `.git/config`, hooks, `.gitattributes` and nested repositories are hostile input.
 *
 * Why plain `spawn` and not simple-git: simple-git's guards refuse `-c core.hooksPath=…`,
 * `-c core.fsmonitor=…` and `-c credential.helper=` even when they switch those features
 * off, and it reads GIT_DIR/GIT_WORK_TREE overrides as unsafe. Our defence is exactly those
 * settings, so we spawn git directly (never through a shell) and own the whole environment.
 *
 * The defence in depth, outermost first:
 *  1. The commit after a task uses the host-owned mirror as GIT_DIR with a private index and
 *     the checkout only as GIT_WORK_TREE (see commit-checkout.ts): the checkout's `.git` is
 *     never read by host git after it was created, so its config, hooks and alternates do not
 *     matter.
 *  2. No system or global config (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL=/dev/null), and the
 *     mirror's config is written only by us, so no filter/textconv/diff driver is defined
 *     that a hostile `.gitattributes` could name.
 *  3. Command-line config (which beats repository config, and is passed on to any child git
 *     through GIT_CONFIG_PARAMETERS) switches off hooks, fsmonitor, pagers, editors,
 *     credential helpers, signing, auto-gc and submodule recursion.
 */
const HARDENING_CONFIG: ReadonlyArray<string> = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'core.untrackedCache=false',
  'core.pager=cat',
  'core.editor=false',
  'sequence.editor=false',
  'core.attributesFile=/dev/null',
  'core.excludesFile=/dev/null',
  'core.quotePath=false',
  'core.autocrlf=false',
  'core.symlinks=true',
  'credential.helper=',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'log.showSignature=false',
  'gc.auto=0',
  'maintenance.auto=false',
  'fetch.recurseSubmodules=false',
  'submodule.recurse=false',
  'diff.ignoreSubmodules=all',
  'status.submoduleSummary=false',
  'protocol.ext.allow=never',
  'protocol.file.allow=always',
  'init.defaultBranch=main',
  'advice.detachedHead=false',
];

/** Environment variables of the worker that host git may see; every GIT_* variable is dropped. */
const PASSED_ENV = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'SSH_AUTH_SOCK', 'GIT_SSH_COMMAND', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy'];

export interface HostGitOptions {
  /** GIT_DIR; host git never discovers a repository on its own. */
  gitDir?: string;
  workTree?: string;
  indexFile?: string;
  cwd?: string;
  input?: string | Buffer;
  /** Extra environment (author identity and the like). */
  env?: Record<string, string>;
  /** Exit codes that are answers rather than failures (e.g. 1 for `diff --quiet`). */
  okExitCodes?: number[];
  /** Cap of stdout kept in memory; beyond it the head and tail are kept (default 64 MiB). */
  maxOutputBytes?: number;
  /** Kill git (SIGKILL) and fail after this long (default GIT_TIMEOUT.tree): every host git call is bounded. */
  timeoutMs?: number;
  /** More `-c` settings, after (so overriding) the hardening ones; e.g. gc's own settings for `gc --auto`. */
  config?: string[];
}

/**
 * Bounds of host git calls, by kind. A call past its bound is killed and fails the operation
 * (`git_failed`), so no checkout, commit or push can hold a repo's worker for hours.
 */
export const GIT_TIMEOUT = {
  /** Refs, config, rev-parse, merge-base: small reads and writes. */
  ref: 30_000,
  /** Reading or hashing a work tree, building and diffing trees (the tree is bounded by limits.diskMb and maxFiles). */
  tree: 10 * 60_000,
  /** Fetch, push and packing a task's history: the network or the whole repository. */
  transfer: 20 * 60_000,
  /** `gc --auto` of a mirror. */
  gc: 30 * 60_000,
} as const;

export interface HostGitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  truncated: boolean;
}

/** The environment host git runs with: see the file comment for why each entry is there. */
export function hostGitEnv(options: Pick<HostGitOptions, 'gitDir' | 'workTree' | 'indexFile' | 'env'> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of PASSED_ENV) if (process.env[key] !== undefined) env[key] = process.env[key];
  Object.assign(env, {
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_OPTIONAL_LOCKS: '0',
  });
  if (options.gitDir) env.GIT_DIR = options.gitDir;
  if (options.workTree) env.GIT_WORK_TREE = options.workTree;
  if (options.indexFile) env.GIT_INDEX_FILE = options.indexFile;
  return { ...env, ...options.env };
}

/** Runs one host git command with the hardening above; throws CodexError `git_failed` on failure. */
export function runHostGit(args: string[], options: HostGitOptions = {}): Promise<HostGitResult> {
  const argv = [...[...HARDENING_CONFIG, ...(options.config ?? [])].flatMap((c) => ['-c', c]), ...args];
  const timeoutMs = options.timeoutMs ?? GIT_TIMEOUT.tree;
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout kills the helpers git starts too (git-remote-https,
    // ssh, pack-objects): killing git alone leaves them holding its pipes open.
    const child = spawn('git', argv, { cwd: options.cwd ?? '/', env: hostGitEnv(options), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out = new CappedOutput(options.maxOutputBytes ?? 64 * 1024 * 1024);
    const err = new CappedOutput(64 * 1024);
    let settled = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done();
    };
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL'); // the group is gone already; git itself may not be
        }
      }
      child.stdout.destroy();
      child.stderr.destroy();
      settle(() =>
        reject(
          new CodexError('git_failed', `git ${args[0]} did not finish within ${timeoutMs} ms`, {
            retryable: true,
            userMessage: `A git operation (git ${args[0]}) on the worker took longer than ${formatDuration(timeoutMs)} and was stopped. Try again; if it keeps happening, check the repository's size and the worker's network.`,
          }),
        ),
      );
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    // Messages name the arguments and quote git's stderr, either of which can hold a remote URL
    // with credentials in it: those are stripped from every message (and logs print messages).
    child.on('error', (e) => settle(() => reject(new CodexError('git_failed', stripUrlCredentials(`git ${args[0]} could not start: ${e.message}`), { cause: e }))));
    child.on('close', (code) => {
      const result = { stdout: out.text(), stderr: err.text(), exitCode: code ?? -1, truncated: out.truncated };
      if (code === 0 || (code !== null && options.okExitCodes?.includes(code))) settle(() => resolve(result));
      else settle(() => reject(new CodexError('git_failed', stripUrlCredentials(`git ${args.join(' ')} failed (exit ${code}): ${result.stderr.trim()}`), { userMessage: 'A git operation on the task checkout failed; try again or check the repository.' })));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

function formatDuration(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} minute${ms >= 90_000 ? 's' : ''}` : `${Math.round(ms / 1000)} seconds`;
}
