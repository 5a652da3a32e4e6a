import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from '../logger.js';
import { containerSpec, type ContainerSpecInput } from './container-spec.js';
import { runLimits, runStream, type StreamRunResult } from './stream-run.js';

export interface SiblingRunInput {
  docker: Docker;
  /** The task sandbox's spec; the sibling differs only in name, role, network and command. */
  spec: Omit<ContainerSpecInput, 'cmd' | 'role' | 'networkMode' | 'name' | 'openStdin'>;
  name: string;
  network: string;
  /** The sibling's main process. */
  argv: string[];
  stdin?: Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
  capBytes: number;
  /** Called with the container as soon as it exists, so `stop()` can remove it mid-run; throwing removes it unstarted. */
  onCreated?: (container: Docker.Container) => void;
  logger: Logger;
}

export interface SiblingRunResult extends StreamRunResult {
  exitCode: number;
}

/**
 * Runs one approved command with network access. A container started with `NetworkMode: none`
 * can never join a network later, so the command runs in a short-lived sibling: same image,
 * same checkout and mounts, same hardening and limits (one spec builder), attached to the
 * configured network. The command is the sibling's main process, so stopping it on timeout or
 * abort is killing the container, which takes every process with it. The sibling is always
 * removed, whatever happens.
 */
export async function runInSibling(input: SiblingRunInput): Promise<SiblingRunResult> {
  const hasStdin = input.stdin !== undefined;
  const container = await input.docker.createContainer(
    containerSpec({ ...input.spec, name: input.name, role: 'network', networkMode: input.network, cmd: input.argv, openStdin: hasStdin }),
  );
  try {
    // It may refuse the container (its sandbox was stopped meanwhile): it is removed unstarted.
    input.onCreated?.(container);
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true, stdin: hasStdin, hijack: hasStdin })) as Duplex;
    await container.start();
    const kill = () => container.kill({ signal: 'SIGKILL' }).then(() => undefined);
    const result = await runStream({ ...runLimits(input), stream, kill, forceKill: () => container.remove({ force: true }).then(() => undefined) });
    const waited = (await container.wait().catch(() => ({ StatusCode: -1 }))) as { StatusCode?: number };
    return { ...result, exitCode: waited.StatusCode ?? -1 };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
