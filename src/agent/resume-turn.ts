import { NOT_RUN_STOPPED, RESUMED_NOTE, resumedFromCheckpointNote } from './prompts.js';
import { type Session, saveSession } from './session.js';
import { describeCall, runToolBatch, type FunctionCall } from './tool-batch.js';

/**
 * Picks up a turn whose worker stopped mid-turn. With the work tree restored from the
 * checkpoint of the last completed step (the worker did it before the sandbox started), the
 * calls that had not finished run again, on those files, and the model is told so. Without a
 * checkpoint the files are the branch's last commit: the unfinished calls are answered "Not
 * run" and the model is told to check what is missing. Either way the thread is told
 * (`turn_resumed`).
 */
export async function resumeTurn(s: Session, pending: readonly FunctionCall[]): Promise<void> {
  const restored = s.task.restored;
  if (!restored) {
    s.conversation.closeDanglingCalls(NOT_RUN_STOPPED);
    s.conversation.addUser(RESUMED_NOTE);
    await s.emit({ type: 'turn_resumed', turn: s.task.turn, rerun: [] });
    await saveSession(s);
    return;
  }
  const rerun = pending.map((call) => describeCall(s, call));
  s.steps = restored.step;
  s.logger.info({ step: restored.step, commit: restored.commit, rerun }, 'resuming from the checkpoint of the last completed step');
  await s.emit({ type: 'turn_resumed', turn: s.task.turn, restoredStep: restored.step, restoredLabel: restored.label, rerun });
  if (pending.length > 0) await runToolBatch(s, pending);
  s.conversation.addUser(resumedFromCheckpointNote(restored.step, rerun));
  await saveSession(s);
}
