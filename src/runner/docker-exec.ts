import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from '../logger.js';
import { runLimits, runStream, type StreamRunResult } from './stream-run.js';

/*
 * How a command runs in the task's container and how it is stopped.
 *
 * `setsid` puts the command in a new session and process group; the wrapper shell, its
 * leader, writes its pid (= the pgid) to a file under /tmp first. An outer shell outside that
 * group waits for it, so a killed command still reports 128 + signal (137) as its exit code. Stopping is a second exec
 * that reads the file and sends SIGKILL to the whole group and session. Docker has no way to
 * kill an exec, and closing the stream leaves the process running, hence this dance.
 *
 * If the killer cannot run (a fork bomb holds every PID of the container, so even a new exec
 * fails), the fallback is to restart the container: the checkout lives on the bind mount, so
 * only /tmp and running processes are lost, and the next command runs normally.
 */
const WRAPPER = '{ echo $$ > "$0"; } 2>/dev/null; "$@"; rc=$?; rm -f -- "$0" 2>/dev/null; exit $rc';
// `<&0`: a background job would otherwise get /dev/null as stdin. The redirected `wait`
// keeps bash's "Killed" job notice out of the command's stderr.
const OUTER = 'w="$1"; shift; setsid bash -c "$w" "$@" <&0 & { wait $!; } 2>/dev/null; exit $?';
const KILLER = [
  'f="$1"',
  'for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$f" ] && break; sleep 0.1; done',
  'read -r pg < "$f" || exit 3',
  'case "$pg" in ""|*[!0-9]*) exit 3;; esac',
  'kill -KILL -- "-$pg" 2>/dev/null',
  'pkill -KILL -s "$pg" 2>/dev/null',
  'rm -f -- "$f"',
  'exit 0',
].join('\n');

export interface ContainerExecInput {
  container: Docker.Container;
  /** The argv to run; it is wrapped so that its process group can be killed. */
  argv: string[];
  user: string;
  workingDir: string;
  env?: string[];
  stdin?: Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
  capBytes: number;
  /** Restarts the container when the normal kill cannot run. */
  restart: () => Promise<void>;
  logger: Logger;
}

export interface ContainerExecResult extends StreamRunResult {
  exitCode: number;
}

export async function execInContainer(input: ContainerExecInput): Promise<ContainerExecResult> {
  const pidFile = `/tmp/.codex-exec-${randomBytes(6).toString('hex')}.pgid`;
  const exec = await input.container.exec({
    Cmd: ['bash', '-c', OUTER, 'codex-exec', WRAPPER, pidFile, ...input.argv],
    User: input.user,
    WorkingDir: input.workingDir,
    Env: input.env ?? [],
    AttachStdin: input.stdin !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = (await exec.start({ hijack: true, stdin: input.stdin !== undefined })) as Duplex;
  const result = await runStream({ ...runLimits(input), stream, kill: () => killGroup(input.container, input.user, pidFile), forceKill: input.restart });
  return { ...result, exitCode: await exitCodeOf(exec) };
}

/** Runs the killer exec; throws when it could not run or did not finish, so the caller escalates. */
async function killGroup(container: Docker.Container, user: string, pidFile: string): Promise<void> {
  const exec = await container.exec({ Cmd: ['bash', '-c', KILLER, 'kill', pidFile], User: user, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
  stream.resume();
  const finished = await Promise.race([
    new Promise<boolean>((resolve) => {
      stream.once('end', () => resolve(true));
      stream.once('close', () => resolve(true));
      stream.once('error', () => resolve(true));
    }),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000).unref()),
  ]);
  if (!finished) {
    stream.destroy();
    throw new Error('the kill command did not finish');
  }
  const code = await exitCodeOf(exec);
  if (code !== 0) throw new Error(`the kill command exited with ${code}`);
}

/** The exec's exit code; Docker may report it a moment after the stream ends. -1 when unknown
 * (e.g. the sandbox was stopped under the command). */
async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  for (let i = 0; i < 40; i++) {
    const info = await exec.inspect().catch(() => undefined);
    if (!info) return -1;
    if (!info.Running) return info.ExitCode ?? -1;
    await new Promise((r) => setTimeout(r, 25));
  }
  return -1;
}
