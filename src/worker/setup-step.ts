import type { ApprovalPolicy, RepoConfig } from '../config.js';
import { CodexError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Sandbox } from '../runner/sandbox.js';
import { PACK_COMMAND, RESTORE_COMMAND, SETUP_CACHE_MOUNT, type SetupCache } from '../runner/setup-cache.js';
import type { ReadOnlyMount, TaskCheckout } from '../runner/workspace.js';
import type { EventSink, OpSource } from '../tasks/protocol.js';
import type { TaskRecord } from '../tasks/task-record.js';
import { redactSecrets } from '../util/redact.js';
import { askPerson } from './ask-person.js';

/*
 * A turn's setup: the repo's `setup` commands, or what they produced restored from the setup
 * cache (src/runner/setup-cache.ts) when the key matches. The cache is filled only by setup run
 * on the base branch's own content (the only setup that gets the network without asking), so a
 * tree the agent wrote never makes an entry another task would start from; a follow-up whose
 * lockfiles are unchanged reuses the entry its first turn made.
 */

/** The cache lookup of a turn, made before its sandbox is created (a hit is mounted into it). */
export interface SetupPlan {
  key?: string;
  /** The cached tarball, when the key has an entry. */
  file?: string;
}

/** Looks the checkout's setup up in the cache; a failure to compute the key only means no cache. */
export async function planSetup(cache: SetupCache | undefined, repo: RepoConfig, checkout: TaskCheckout, log: Logger): Promise<SetupPlan> {
  if (!cache || repo.setup.length === 0) return {};
  try {
    // A checkout restored from a checkpoint has that checkpoint's lockfiles.
    const key = await cache.key({ repo: repo.name, image: repo.image, setup: repo.setup, mirrorDir: checkout.mirrorDir, commit: checkout.restoredFrom ?? checkout.startSha });
    return { key, file: await cache.lookup(key) };
  } catch (e) {
    log.warn({ err: e }, 'could not look the setup up in the setup cache; running it');
    return {};
  }
}

/** The read-only mount a sandbox needs for the plan (the cached tarball), if any. */
export function setupMounts(plan: SetupPlan): ReadOnlyMount[] {
  return plan.file ? [{ source: plan.file, target: SETUP_CACHE_MOUNT }] : [];
}

export interface SetupInput {
  task: TaskRecord;
  repo: RepoConfig;
  checkout: TaskCheckout;
  policy: ApprovalPolicy;
  sandbox: Sandbox;
  events: EventSink;
  ops: OpSource;
  plan: SetupPlan;
  cache?: SetupCache;
  log: Logger;
  signal: AbortSignal;
}

/** Restores setup from the cache or runs it (and fills the cache); the first failure is returned. */
export async function setupStep(input: SetupInput): Promise<CodexError | undefined> {
  const { repo, sandbox, plan, cache, log } = input;
  if (repo.setup.length === 0) return undefined;
  const timeoutMs = repo.limits.maxCommandTimeoutSec * 1000;
  if (plan.key && plan.file) {
    const restored = await sandbox.exec(RESTORE_COMMAND, { timeoutMs, signal: input.signal });
    if (restored.exitCode === 0) {
      await input.events.emit({ type: 'setup_restored', commands: repo.setup, key: plan.key.slice(0, 12) });
      return undefined;
    }
    if (input.signal.aborted) return abortedSetup(input.signal);
    log.warn({ exitCode: restored.exitCode, stderr: restored.stderr.slice(-500) }, 'restoring the setup cache failed; running setup');
  }
  const network = await setupMayUseNetwork(input);
  const failure = await runSetup(sandbox, repo, input.events, network, input.signal);
  if (failure || !plan.key || !cache || !onBaseContent(input) || input.signal.aborted) return failure;
  try {
    const packed = await sandbox.exec(PACK_COMMAND, { timeoutMs, signal: input.signal });
    if (packed.exitCode !== 0) throw new Error(`packing setup's files failed (exit ${packed.exitCode}): ${packed.stderr.slice(-500)}`);
    await cache.store(plan.key, input.checkout.dir);
  } catch (e) {
    log.warn({ err: e }, 'could not fill the setup cache');
    await cache.discardPack(input.checkout.dir);
  }
  return undefined;
}

/** The checkout holds the base branch's own content (a first turn on the repo's base branch, not restored from a checkpoint of the agent's work). */
function onBaseContent({ task, repo, checkout }: Pick<SetupInput, 'task' | 'repo' | 'checkout'>): boolean {
  return task.baseBranch === repo.baseBranch && checkout.startSha === checkout.baseSha && checkout.restoredFrom === undefined;
}

/**
 * Whether the repo's setup commands may use the network in this checkout. Setup comes from the
 * admin's config, but what it runs is often the tree's own (package scripts, `.npmrc`, a git
 * dependency): with network, only on the base branch's own content. On a tree the agent
 * changed (a follow-up turn) or another branch (`--branch`), a person approves first when the
 * policy asks for network commands; declined or unanswered, setup runs without network.
 */
async function setupMayUseNetwork(input: SetupInput): Promise<boolean> {
  const { task, repo, policy, checkout } = input;
  if (onBaseContent(input) || !policy.network) return true;
  const what = task.baseBranch !== repo.baseBranch ? `branch ${task.baseBranch}` : checkout.restoredFrom ? 'changes the agent made in this turn (restored after its worker stopped)' : 'changes the agent made in earlier turns';
  const answer = await askPerson(input, {
    kind: 'network',
    command: repo.setup.join('\n'),
    reason: `The repo's setup commands want the network, and this checkout holds ${what}, which setup may run (package scripts, .npmrc, git dependencies). Approve only if you trust it; otherwise setup runs without network.`,
    timeoutMinutes: policy.timeoutMinutes,
  });
  return answer.decision !== 'decline';
}

function abortedSetup(signal: AbortSignal): CodexError {
  return CodexError.isInstance(signal.reason) ? signal.reason : new CodexError('setup_failed', 'setup stopped');
}

/** Runs the repo's setup commands as task commands; the first failure fails the task with its output. */
async function runSetup(sandbox: Sandbox, repo: RepoConfig, sink: EventSink, network: boolean, signal: AbortSignal): Promise<CodexError | undefined> {
  for (const [i, command] of repo.setup.entries()) {
    const callId = `setup-${i + 1}`;
    if (signal.aborted) break;
    await sink.emit({ type: 'command_started', callId, command });
    // With network (see setupMayUseNetwork), setup runs in a sibling on the same checkout.
    const result = await sandbox.exec(command, { timeoutMs: repo.limits.maxCommandTimeoutSec * 1000, network, signal });
    // Redacted whole before it is cut, so no part of a secret survives the cut.
    const outputTail = redactSecrets(`${result.stdout}${result.stderr}`).split('\n').slice(-20).join('\n').slice(-1500);
    await sink.emit({ type: 'command_finished', callId, command, exitCode: result.exitCode, durationMs: result.durationMs, timedOut: result.timedOut, outputTail });
    if (signal.aborted) return abortedSetup(signal);
    if (result.exitCode !== 0) {
      return new CodexError('setup_failed', `setup command failed: ${command}`, {
        userMessage: `The repo's setup command \`${command}\` failed (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}). Fix the "setup" commands of "${repo.name}" in the repo config, then reply here to try again.`,
      });
    }
  }
  return undefined;
}
