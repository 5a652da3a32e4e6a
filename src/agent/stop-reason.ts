/**
 * Why a step's AbortSignal fired: a person interrupted the step or cancelled the task, or the
 * worker stopped the turn (`halt`, e.g. a limit). Set as the signal's `reason` by the run
 * control, read by whoever must say who stopped them.
 */
export interface StopReason {
  kind: 'interrupt' | 'cancel' | 'halt';
  by?: string;
}

export function stopReasonOf(signal: AbortSignal): StopReason | undefined {
  const r = signal.reason as Partial<StopReason> | undefined;
  return r && (r.kind === 'interrupt' || r.kind === 'cancel' || r.kind === 'halt') ? (r as StopReason) : undefined;
}

/** Waits `ms`; resolves false when `signal` aborted first. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
