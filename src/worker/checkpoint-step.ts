import type { ApprovalPolicy, RepoConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Checkpoints } from '../runner/checkpoints.js';
import type { Sandbox } from '../runner/sandbox.js';
import type { TaskCheckout } from '../runner/workspace.js';
import type { CheckpointRef, RecordCheckpoint, SavedConversation } from '../tasks/protocol.js';
import type { TaskRecord } from '../tasks/task-record.js';

/*
 * The worker's side of checkpoints (src/runner/checkpoints.ts): which checkpoint a run resumes
 * from, restoring it into the run's fresh checkout, recording one after each step that may have
 * changed files (with the sandbox frozen), pushing them when another host may need them, and
 * dropping them when the turn has ended.
 */

/**
 * The checkpoint a run of `task`'s current turn resumes from: the one its saved conversation
 * names, when that conversation and checkpoint are of this very turn (a worker stopped in it).
 */
export function checkpointToResume(task: Pick<TaskRecord, 'turn'>, saved: SavedConversation | undefined): CheckpointRef | undefined {
  if (!saved || saved.turn !== task.turn || saved.checkpoint?.turn !== task.turn) return undefined;
  return saved.checkpoint;
}

/**
 * Checkpoints are pushed upstream (so that a worker on another host can restore them) only
 * where task branches are pushed without asking: pushing them is pushing the agent's work.
 */
export function pushesCheckpoints(repo: RepoConfig, policy: ApprovalPolicy): boolean {
  return repo.pushBranches && !policy.push;
}

/**
 * Restores `ref` into the run's checkout (before its sandbox starts). A checkpoint made on
 * another host is fetched first when checkpoints are pushed. Returns false, logging why, when
 * it cannot be restored: the turn then goes on from the branch's last commit, as it did
 * before checkpoints, and the model is told its edits may be gone.
 */
export async function restoreCheckpoint(input: { checkpoints: Checkpoints; repo: RepoConfig; checkout: TaskCheckout; ref: CheckpointRef; fetchFrom?: string; log: Logger }): Promise<boolean> {
  const { checkpoints, repo, checkout, ref, log } = input;
  try {
    if (!(await checkpoints.has(repo, ref.commit)) && input.fetchFrom) await checkpoints.fetch(repo, checkout.taskId, input.fetchFrom);
    await checkpoints.restore(checkout, ref.commit);
    checkout.restoredFrom = ref.commit;
    log.info({ step: ref.step, commit: ref.commit }, 'work tree restored from the checkpoint of the last completed step');
    return true;
  } catch (e) {
    log.warn({ err: e, step: ref.step, commit: ref.commit }, 'could not restore the checkpoint; the turn goes on from the branch');
    return false;
  }
}

export interface CheckpointRecorder {
  record: RecordCheckpoint;
  /** Waits for the pushes in flight and deletes the run's private index. */
  close(): Promise<void>;
}

/**
 * Records checkpoints of one run. Each is made with the sandbox frozen, so no process of the
 * task (not even one left in the background) changes the tree while host git reads it. A
 * checkpoint that cannot be made is logged and skipped: the turn goes on. A step that left the
 * tree as the last checkpoint has it (same fingerprint) shares that checkpoint: no freeze, no
 * git. With `pushTo`, each is pushed in the background, newest last; a push that fails is logged.
 */
export function checkpointRecorder(input: {
  checkpoints: Checkpoints;
  repo: RepoConfig;
  checkout: TaskCheckout;
  sandbox: Sandbox;
  task: Pick<TaskRecord, 'id'>;
  /**
   * Measures the checkout (Workspace.measureCheckout): over its limits, a tree is not hashed
   * (the watchdog ends the turn); its fingerprint tells an unchanged tree at the cost of a walk.
   */
  probe: () => Promise<{ over: boolean; fingerprint?: string }>;
  parent?: string;
  pushTo?: string;
  log: Logger;
}): CheckpointRecorder {
  const { checkpoints, checkout, sandbox, log } = input;
  let parent = input.parent;
  // The newest checkpoint this run made and the fingerprint of the tree it holds.
  let last: { commit: string; fingerprint: string } | undefined;
  let pushing: Promise<void> = Promise.resolve();
  let pushQueued = false;
  const push = (url: string) => {
    if (pushQueued) return; // the push already queued sends the newest ref
    pushQueued = true;
    pushing = pushing.then(async () => {
      pushQueued = false;
      await checkpoints.push(input.repo, input.task.id, url).catch((e: unknown) => log.warn({ err: e }, 'could not push the checkpoint'));
    });
  };
  return {
    async record(step) {
      const started = performance.now();
      try {
        // Most steps change nothing (reading, searching, a test run): a walk of the tree's stat
        // data, without freezing the sandbox, shows that, and the step shares the last
        // checkpoint. A background process that writes during the walk changes the fingerprint.
        const quick = await input.probe();
        if (last && !quick.over && quick.fingerprint === last.fingerprint) {
          log.debug({ step: step.step, commit: last.commit, ms: Math.round(performance.now() - started) }, 'work tree unchanged: the last checkpoint stands');
          return { ...step, commit: last.commit };
        }
        const message = `codex: checkpoint of task ${input.task.id}, turn ${step.turn}, step ${step.step}\n\n${step.label}\n`;
        const made = await sandbox.freeze(async () => {
          const frozen = await input.probe();
          if (frozen.over) return undefined;
          return { commit: await checkpoints.record(checkout, { parent, message }), fingerprint: frozen.fingerprint };
        });
        if (!made) {
          log.warn({ step: step.step }, 'the checkout is over its limits: no checkpoint of it');
          return undefined;
        }
        const commit = made.commit;
        last = made.fingerprint ? { commit, fingerprint: made.fingerprint } : undefined;
        parent = commit;
        log.debug({ step: step.step, commit, ms: Math.round(performance.now() - started) }, 'checkpoint recorded');
        if (input.pushTo) push(input.pushTo);
        return { ...step, commit };
      } catch (e) {
        log.warn({ err: e, step: step.step }, 'could not record a checkpoint of the work tree; the turn goes on');
        return undefined;
      }
    },
    async close() {
      await pushing;
      await checkpoints.forget(checkout).catch(() => undefined);
    },
  };
}

/** The turn has ended (its commit holds the work): its checkpoints go, here and upstream. */
export async function dropCheckpoints(input: { checkpoints: Checkpoints; repo: RepoConfig; taskId: string; pushedTo?: string; log: Logger }): Promise<void> {
  const { checkpoints, repo, taskId, log } = input;
  await checkpoints.drop(repo, taskId).catch((e: unknown) => log.warn({ err: e }, 'could not delete the checkpoint ref'));
  if (input.pushedTo) await checkpoints.push(repo, taskId, input.pushedTo, true).catch((e: unknown) => log.debug({ err: e }, 'could not delete the pushed checkpoint ref (none was pushed, or the remote refused)'));
}
