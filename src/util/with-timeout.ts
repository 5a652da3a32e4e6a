import { CodexError, type ErrorCode } from '../errors.js';

/** Rejects with a CodexError(code) when `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, code: ErrorCode = 'timeout', what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CodexError(code, `${what} did not finish within ${ms} ms`, { retryable: true })), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
