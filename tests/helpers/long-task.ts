import { COMPACTION_REQUEST, COMPACTION_SUMMARY_MARK } from '../../src/agent/prompts.js';
import { functionCall, message, reply, userMessages, type RecordedRequest, type ScriptReply } from '../fakes/model-server.js';

/*
 * The long scripted task of the compaction tests and the bench's `model` section: the model
 * runs `steps` commands, each printing about `lineCount` lines (about 60 characters each) that
 * all go back into the conversation, then answers. When asked for a hand-off summary (the
 * in-band compaction), it writes one naming the last step it ran.
 */

export const LONG_TASK_DONE = 'All steps are done; the output of every step was read.';

/** True for the in-band compaction's summary request. */
export const isSummaryRequest = (req: RecordedRequest) => userMessages(req).at(-1) === COMPACTION_REQUEST;

/** True for a request whose conversation was compacted in-band (it carries a summary). */
export const carriesSummary = (req: RecordedRequest) => userMessages(req).some((m) => m.startsWith(COMPACTION_SUMMARY_MARK));

/** True for a request whose conversation came from the compact endpoint. */
export const carriesCompaction = (req: RecordedRequest) => Array.isArray(req.body?.input) && (req.body.input as Array<{ type?: string }>).some((i) => i.type === 'compaction');

export interface LongTask {
  /** The model script (one function for every request of the task). */
  script: (req: RecordedRequest) => ScriptReply;
  /** Steps (commands) asked for so far. */
  readonly stepsRun: number;
  /** Summary requests answered so far. */
  readonly summaries: number;
}

/** A long task of `steps` commands; `before(n)` may answer step `n` differently (e.g. a command that hangs). */
export function longTask(steps: number, options: { lineCount?: number; step?: (n: number, req: RecordedRequest) => ScriptReply | undefined } = {}): LongTask {
  let n = 0;
  let summaries = 0;
  const lines = options.lineCount ?? 50;
  return {
    script(req) {
      if (isSummaryRequest(req)) {
        summaries += 1;
        return reply(message(`Goal: run every step and read its output.\nDone: steps 1 to ${n} ran and printed their lines.\nFiles touched: none.\nRemaining: steps ${n + 1} to ${steps}.\nOpen questions: none.`));
      }
      n += 1;
      const custom = options.step?.(n, req);
      if (custom) return custom;
      if (n > steps) return reply(message(LONG_TASK_DONE));
      return reply(message(`Running step ${n}.`), functionCall('shell', { command: `seq -f 'step ${n} line %g: the quick brown fox jumps over the lazy dog' 1 ${lines}` }));
    },
    get stepsRun() {
      return Math.min(n, steps);
    },
    get summaries() {
      return summaries;
    },
  };
}
