import type { Logger } from '../logger.js';
import type { OpSource, TaskOp } from '../tasks/protocol.js';
import { sleep } from './stop-reason.js';

/*
 * Reads operations for the whole run, independently of what the loop is doing, so that an
 * interrupt or a cancel takes effect at once, even in the middle of a model request or a
 * command. Ops are handled one at a time, in order.
 */

export interface OpPump {
  /** Stops reading and waits for the op being handled, if any. */
  stop(): Promise<void>;
}

/** Starts reading `ops` and handing each op of `taskId` to `handle`. */
export function startOpPump(ops: OpSource, taskId: string, handle: (op: TaskOp) => Promise<void>, logger: Logger): OpPump {
  const controller = new AbortController();
  const { signal } = controller;
  const done = (async () => {
    while (!signal.aborted) {
      let op: TaskOp | undefined;
      try {
        op = await ops.next(signal);
      } catch (e) {
        if (signal.aborted) break;
        logger.error({ err: e }, 'reading task operations failed; retrying');
        await sleep(1000, signal);
        continue;
      }
      if (op === undefined) {
        // Only an abort should end a wait without an op; do not spin if a source misbehaves.
        await sleep(50, signal);
        continue;
      }
      if (op.taskId !== taskId) {
        logger.warn({ opTaskId: op.taskId, opId: op.opId }, 'operation for another task ignored');
        continue;
      }
      try {
        await handle(op);
      } catch (e) {
        logger.error({ err: e, opId: op.opId, type: op.type }, 'handling an operation failed');
      }
    }
  })();
  return {
    async stop() {
      controller.abort();
      await done;
    },
  };
}
