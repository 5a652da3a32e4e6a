import type { Duplex } from 'node:stream';
import type { Logger } from '../logger.js';
import { CappedOutput } from './capped-output.js';
import { DockerDemuxer } from './demux.js';

export interface StreamRunInput {
  stream: Duplex;
  /** Written to the process's stdin, which is then closed. */
  stdin?: Buffer;
  capBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Kills the whole process (group); the stream ends once everything holding it is dead. */
  kill: () => Promise<void>;
  /** Last resort when `kill` did not end the stream within the grace period. */
  forceKill: () => Promise<void>;
  /** How long to wait for the stream to end after each kill (default 5 s). */
  graceMs?: number;
  logger: Logger;
}

export interface StreamRunResult {
  stdout: CappedOutput;
  stderr: CappedOutput;
  durationMs: number;
  timedOut: boolean;
  aborted: boolean;
}

/**
 * Reads one command's multiplexed output to its end, enforcing the timeout and the abort
 * signal. Closing the stream would not stop the process (Docker keeps an exec running), so
 * stopping always goes through `kill`, then `forceKill`; only if even that leaves the stream
 * open is it destroyed, so a caller never waits much past its timeout.
 */
/** What a command's caller decides about its run (input, cap, timeout, abort, log), as runStream takes it. */
export type RunLimits = Pick<StreamRunInput, 'stdin' | 'capBytes' | 'timeoutMs' | 'signal' | 'logger'>;

export function runLimits(input: RunLimits): RunLimits {
  return { stdin: input.stdin, capBytes: input.capBytes, timeoutMs: input.timeoutMs, signal: input.signal, logger: input.logger };
}

export async function runStream(input: StreamRunInput): Promise<StreamRunResult> {
  const started = performance.now();
  const stdout = new CappedOutput(input.capBytes);
  const stderr = new CappedOutput(input.capBytes);
  const demux = new DockerDemuxer((c) => stdout.push(c), (c) => stderr.push(c));
  const { stream } = input;
  const grace = input.graceMs ?? 5000;
  let timedOut = false;
  let aborted = false;

  const ended = new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', (e) => {
      input.logger.warn({ err: e }, 'sandbox stream error');
      resolve();
    });
  });
  const endedWithin = (ms: number) => Promise.race([ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);

  let stopping: Promise<void> | undefined;
  const stop = (reason: 'timeout' | 'abort') => {
    if (stopping) return;
    if (reason === 'timeout') timedOut = true;
    else aborted = true;
    stopping = (async () => {
      await input.kill().catch((e) => input.logger.warn({ err: e }, 'killing the command failed'));
      if (await endedWithin(grace)) return;
      input.logger.warn({ reason }, 'command survived its kill; forcing');
      await input.forceKill().catch((e) => input.logger.warn({ err: e }, 'forced kill failed'));
      if (await endedWithin(grace)) return;
      stream.destroy();
    })();
  };

  const timer = setTimeout(() => stop('timeout'), input.timeoutMs);
  const onAbort = () => stop('abort');
  if (input.signal?.aborted) onAbort();
  else input.signal?.addEventListener('abort', onAbort, { once: true });

  if (input.stdin !== undefined) {
    stream.on('error', () => undefined);
    stream.end(input.stdin);
  }
  try {
    await ended;
    if (stopping) await stopping;
  } finally {
    clearTimeout(timer);
    input.signal?.removeEventListener('abort', onAbort);
  }
  return { stdout, stderr, durationMs: Math.round(performance.now() - started), timedOut, aborted };
}
