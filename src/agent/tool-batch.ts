import type { OutputItem } from './model-client.js';
import { type Session, saveSession } from './session.js';
import { stopReasonOf } from './stop-reason.js';
import { runToolCall } from './tools/tool-runner.js';

type FunctionCall = Extract<OutputItem, { type: 'function_call' }>;

/**
 * Runs the function calls of one model response in order, appending and saving an output after
 * each: a turn resumed after its worker died knows exactly which calls ran (the others get
 * "Not run"). When the step is stopped (interrupt or cancel), the running call is told so and
 * the calls after it are answered without running, so the input stays valid.
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
    await saveSession(s);
  }
  await saveSession(s);
}

function stoppedBy(signal: AbortSignal): string {
  const kind = stopReasonOf(signal)?.kind;
  return kind === 'cancel' ? 'cancelled by user' : kind === 'halt' ? 'stopped by the worker' : 'interrupted by user';
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
