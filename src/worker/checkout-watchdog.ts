import { CodexError } from '../errors.js';
import type { Logger } from '../logger.js';

/** How often a running turn's checkout is measured: a tree over its limits ends the turn well within a minute. */
export const CHECKOUT_WATCH_MS = 15_000;

export interface CheckoutWatchdog {
  /** Aborts, with the CodexError `check` threw as its reason, once the checkout is over its limits. */
  readonly signal: AbortSignal;
  stop(): void;
}

/**
 * Runs `check` (Workspace.checkSize: stats only, stops early) every `intervalMs` while a turn
 * runs, one at a time. When it throws a CodexError (`workspace_too_large`) the signal aborts
 * and the watchdog stops; the worker hands the signal to the agent and the setup commands,
 * which end the turn as failed with that error. Any other failure of a check is logged and the
 * next check runs as usual.
 */
export function watchCheckout(check: () => Promise<void>, input: { intervalMs?: number; logger: Logger }): CheckoutWatchdog {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void tick(), input.intervalMs ?? CHECKOUT_WATCH_MS);
    timer.unref();
  };
  const tick = async () => {
    try {
      await check();
    } catch (e) {
      if (CodexError.isInstance(e) && !stopped) {
        stopped = true;
        controller.abort(e);
        return;
      }
      input.logger.warn({ err: e }, 'could not measure the checkout');
    }
    schedule();
  };
  schedule();
  return {
    signal: controller.signal,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
