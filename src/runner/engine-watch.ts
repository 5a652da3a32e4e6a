import type Docker from 'dockerode';
import { CodexError } from '../errors.js';

/*
 * The Docker engine going away under a running turn (restarted by an upgrade, `systemctl
 * restart docker`, a crash). A restart stops every container, so the command running then
 * dies, but the checkout is on the host and survives: the sandbox waits for the engine, starts
 * its container again and tells the model what happened, and the turn goes on. An engine that
 * does not come back within ENGINE_WAIT_MS ends the turn with a sentence saying to reply to
 * retry (`docker_unavailable`).
 */

/** How long a sandbox waits for its engine to answer again before the turn is given up. */
export const ENGINE_WAIT_MS = 2 * 60_000;

/** What the model is told as the output of a command the engine's restart stopped. */
export const ENGINE_RESTARTED_OUTPUT =
  'The Docker engine running the sandbox restarted (or stopped the sandbox) while this command ran, so the command was stopped before it finished. The sandbox is running again with the same files in /workspace (processes, /tmp and anything outside /workspace are gone). Run the command again if you still need its result.\n';

/** True for an error that says the engine itself cannot be reached (not that a request failed). */
export function isEngineLost(e: unknown): boolean {
  return neverConnected(e) || /socket hang up|ECONNRESET|EPIPE/i.test(`${(e as { code?: string })?.code ?? ''} ${(e as Error)?.message ?? ''}`);
}

/** True when the request never reached the engine (nothing listens on its socket): what it asked for did not happen. */
export function neverConnected(e: unknown): boolean {
  const err = e as { code?: string; message?: string } | undefined;
  return (err?.code !== undefined && ['ECONNREFUSED', 'ENOENT'].includes(err.code)) || /connect ENOENT|connect ECONNREFUSED/i.test(err?.message ?? '');
}

/** The turn's end when the engine does not come back in time. */
export function engineGoneError(waitedMs: number, cause?: unknown): CodexError {
  const waited = waitedMs >= 60_000 ? `${Math.round(waitedMs / 60_000)} minute${waitedMs >= 90_000 ? 's' : ''}` : `${Math.round(waitedMs / 1000)} seconds`;
  return new CodexError('docker_unavailable', `the Docker engine did not answer within ${waitedMs} ms`, {
    cause,
    retryable: true,
    userMessage: `The Docker engine on the worker stopped while this turn ran and did not come back within ${waited}, so the turn was stopped; its earlier turns' work is on the branch. Reply in this thread to try again once Docker runs again (whoever runs this bot can check it with \`npm run doctor\`).`,
  });
}

/** Resolves once the engine answers a ping; throws engineGoneError after `timeoutMs`. */
export async function waitForEngine(docker: Docker, timeoutMs = ENGINE_WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      await docker.ping();
      return;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) throw engineGoneError(timeoutMs, last);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** True once the engine says the container no longer exists. */
export async function gone(container: Docker.Container): Promise<boolean> {
  // A removal under way elsewhere (a sibling's own clean-up) gets its time to finish.
  for (let i = 0; ; i++) {
    const state = await container.inspect().then(
      (info) => info.State.Status,
      (e: { statusCode?: number }) => (e.statusCode === 404 ? 'gone' : 'unknown'),
    );
    if (state === 'gone') return true;
    if (state !== 'removing' || i >= 100) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
