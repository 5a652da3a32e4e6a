import type { ContainerCreateOptions } from 'dockerode';
import type { Limits } from '../config.js';
import { LABEL_PROJECT, LABEL_ROLE, LABEL_RUN_ID, LABEL_TASK_ID, LABEL_WORKER, type ContainerRole } from './labels.js';
import type { SandboxUser } from './sandbox-user.js';
import type { ReadOnlyMount } from './workspace.js';

export interface ContainerSpecInput {
  name: string;
  image: string;
  /** Absent only on a warm-pool container, which belongs to no task until claimed. */
  taskId?: string;
  project: string;
  role: ContainerRole;
  /** The worker run and process the container belongs to (labels, for reaping). */
  runId?: string;
  workerId?: string;
  /** Host path of the checkout, mounted read-write at /workspace. */
  workspaceDir: string;
  readOnlyMounts: ReadOnlyMount[];
  limits: Limits;
  user: SandboxUser;
  home: string;
  /** `none` for the task's sandbox; the configured network for a network sibling. */
  networkMode: string;
  cmd: string[];
  workingDir?: string;
  env?: string[];
  /** OCI runtime registered with the engine (`runsc` for gVisor); the engine's default when absent. */
  runtime?: string;
  /** Keep stdin open for one attach (network siblings fed with `stdin`). */
  openStdin?: boolean;
  /** Labels beyond project, role and task id (the warm pool's owner and data directory). */
  extraLabels?: Record<string, string>;
}

const MIB = 1024 * 1024;

/**
 * The one place the hardening of a sandbox container is written down, shared by the task's
 * container and its network siblings so a sibling is never weaker than the sandbox: no
 * capabilities, no privilege gain, read-only root, writable only /workspace, /tmp and HOME
 * (tmpfs, counted against the memory limit), memory/CPU/PID limits, a file-size limit, labels for reaping, and an
 * environment with nothing but HOME: no secret of the worker ever enters.
 */
export function containerSpec(input: ContainerSpecInput): ContainerCreateOptions {
  const { limits, user } = input;
  const tmpfsSize = `${Math.max(64, Math.floor(limits.memoryMb / 2))}m`;
  return {
    name: input.name,
    Image: input.image,
    Cmd: input.cmd,
    User: `${user.uid}:${user.gid}`,
    WorkingDir: input.workingDir ?? '/workspace',
    Env: [`HOME=${input.home}`, ...(input.env ?? [])],
    Hostname: 'sandbox',
    Labels: { ...input.extraLabels, ...(input.taskId ? { [LABEL_TASK_ID]: input.taskId } : {}), [LABEL_PROJECT]: input.project, [LABEL_ROLE]: input.role, ...(input.runId ? { [LABEL_RUN_ID]: input.runId } : {}), ...(input.workerId ? { [LABEL_WORKER]: input.workerId } : {}) },
    OpenStdin: input.openStdin ?? false,
    StdinOnce: input.openStdin ?? false,
    AttachStdin: input.openStdin ?? false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    HostConfig: {
      Mounts: [
        { Type: 'bind', Source: input.workspaceDir, Target: '/workspace', ReadOnly: false },
        ...input.readOnlyMounts.map((m) => ({ Type: 'bind' as const, Source: m.source, Target: m.target, ReadOnly: true })),
      ],
      Tmpfs: {
        '/tmp': `rw,nosuid,nodev,size=${tmpfsSize},mode=1777`,
        [input.home]: `rw,nosuid,nodev,size=${tmpfsSize},uid=${user.uid},gid=${user.gid},mode=0700`,
      },
      NetworkMode: input.networkMode,
      ...(input.runtime ? { Runtime: input.runtime } : {}),
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Privileged: false,
      // docker-init as PID 1 reaps orphans, so killed process groups leave no zombies holding PIDs.
      Init: true,
      Memory: limits.memoryMb * MIB,
      MemorySwap: limits.memoryMb * MIB,
      NanoCpus: Math.round(limits.cpus * 1e9),
      PidsLimit: limits.pids,
      // fsize: no file written in the container (checkout, /tmp, HOME) can be larger than the
      // whole checkout may be; `truncate -s 1T` fails with EFBIG (SIGXFSZ) instead of making a
      // sparse file the host commit would spend hours hashing. The checkout as a whole is held
      // to limits.diskMb by the worker's watchdog (a bind mount has no size cap of its own).
      Ulimits: [
        { Name: 'core', Soft: 0, Hard: 0 },
        { Name: 'fsize', Soft: limits.diskMb * MIB, Hard: limits.diskMb * MIB },
      ],
      AutoRemove: false,
    },
  };
}
