import type { OutputItem } from './model-client.js';
import { type Session, saveSession } from './session.js';
import { stopReasonOf } from './stop-reason.js';
import { runToolCall } from './tools/tool-runner.js';

export type FunctionCall = Extract<OutputItem, { type: 'function_call' }>;

/**
 * Runs the function calls of one model response in order, appending and saving an output after
 * each: a turn resumed after its worker died knows exactly which calls ran (the others are run
 * again, or answered "Not run"). After a call that may have changed files, a checkpoint of the
 * work tree is recorded first and saved with that output, in the same write. When the step is
 * stopped (interrupt or cancel), the running call is told so and the calls after it are
 * answered without running, so the input stays valid.
 */
export async function runToolBatch(s: Session, calls: readonly FunctionCall[]): Promise<void> {
  const signal = s.control.stepSignal;
  for (const call of calls) {
    if (signal.aborted) {
      s.conversation.addOutput(call.call_id, `Not run: ${stoppedBy(signal)}.`);
      continue;
    }
    const output = await runToolCall(s.tools, call, {
      callId: call.call_id,
      signal,
      sandbox: s.deps.sandbox,
      emit: s.emit,
      approvals: s.gate,
      limits: s.task.limits,
      logger: s.logger.child({ tool: call.name, callId: call.call_id }),
    });
    s.conversation.addOutput(call.call_id, signal.aborted ? `${capitalize(stoppedBy(signal))} while this call ran.\n${output}` : output);
    await checkpointAfter(s, call, signal);
    await saveSession(s);
  }
  await saveSession(s);
}

/** A short line saying what a call does (its command, the files of its patch). */
export function describeCall(s: Pick<Session, 'tools'>, call: Pick<FunctionCall, 'name' | 'arguments'>): string {
  const tool = s.tools.find((t) => t.name === call.name);
  try {
    const args = tool?.parameters.safeParse(JSON.parse(call.arguments || '{}'));
    if (tool?.describe && args?.success) return tool.describe(args.data).slice(0, 300);
  } catch {
    // not JSON: the tool's name says enough
  }
  return call.name;
}

/**
 * Records a checkpoint after a call that may have changed files. Not for a run the worker
 * halted (shutdown, lost lock): the next run owns the turn and its files.
 */
async function checkpointAfter(s: Session, call: FunctionCall, signal: AbortSignal): Promise<void> {
  if (!s.deps.checkpoint || !s.tools.find((t) => t.name === call.name)?.changesFiles) return;
  if (signal.aborted && stopReasonOf(signal)?.kind === 'halt') return;
  s.steps += 1;
  // None when it could not be made: a resume then starts from the branch and says the files
  // may be gone, rather than restore an older tree as if the later calls' edits were in it.
  s.conversation.checkpoint = await s.deps.checkpoint({ turn: s.task.turn, step: s.steps, label: describeCall(s, call) });
}

function stoppedBy(signal: AbortSignal): string {
  const kind = stopReasonOf(signal)?.kind;
  return kind === 'cancel' ? 'cancelled by user' : kind === 'halt' ? 'stopped by the worker' : 'interrupted by user';
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
