import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import type { Limits } from '../config.js';
import { CodexError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { withTimeout } from '../util/with-timeout.js';
import { containerSpec, type ContainerSpecInput } from './container-spec.js';
import { execInContainer } from './docker-exec.js';
import { egressFor } from './egress.js';
import { ENGINE_RESTARTED_OUTPUT, gone, isEngineLost, neverConnected, waitForEngine } from './engine-watch.js';
import { DEFAULT_PROJECT } from './labels.js';
import { runInSibling } from './network-sibling.js';
import type { ExecOptions, ExecResult, Sandbox } from './sandbox.js';
import { SandboxFiles } from './sandbox-files.js';
import { IMAGE_USER, type SandboxUser } from './sandbox-user.js';
import type { WarmSlot } from './warm-slot.js';
import type { ReadOnlyMount } from './workspace.js';
import { checkWorkspacePath, containerPath } from './workspace-path.js';

export interface DockerSandboxOptions {
  taskId: string;
  image: string;
  /** Host path of the task's checkout (as the Docker daemon sees it), mounted at /workspace. */
  workspaceDir: string;
  /** E.g. TaskCheckout.readOnlyMounts: the mirror's objects for git's alternates. */
  readOnlyMounts?: ReadOnlyMount[];
  limits: Limits;
  /** Must own the checkout (TaskCheckout.sandboxUser); default 1000:1000, never root. */
  user?: SandboxUser;
  /** HOME inside the container, a private tmpfs (default /home/agent). */
  home?: string;
  /**
   * Network the egress proxy of `exec(…, { network: true })` reaches the outside through
   * (RepoConfig.network; default `bridge`). Siblings themselves join only an internal network
   * with the proxy (egress.ts).
   */
  network?: string;
  /** Names and CIDRs the egress proxy lets network commands reach although private (RepoConfig.networkAllow). */
  networkAllow?: string[];
  /** Image of the egress proxy (default codex-egress-proxy:latest; the worker passes CODEX_EGRESS_IMAGE). */
  egressImage?: string;
  /** OCI runtime of the sandbox and its network siblings (RepoConfig.runtime; `runsc` for gVisor). */
  runtime?: string;
  /** How long to wait for an engine that went away before the turn is given up (default ENGINE_WAIT_MS). */
  engineWaitMs?: number;
  /** The worker run and process this sandbox belongs to (`codex.run-id` and `codex.worker` labels). */
  runId?: string;
  workerId?: string;
  /** Value of the `codex.project` label; reaping is scoped to it (default `codex-slack`). */
  project?: string;
  docker?: Docker;
  /** Per-stream output cap of exec (default 64 KiB). */
  outputCapBytes?: number;
  /** Largest file readFile returns (default 8 MiB). */
  maxFileBytes?: number;
  logger?: Logger;
  /**
   * A warm sandbox claimed for this task (WarmPool.claim, already adopted): used instead of
   * creating a container; `workspaceDir` must be its `workspaceDir`. Stopping releases it.
   */
  warm?: Pick<WarmSlot, 'container' | 'release'>;
}

const FILE_OP_TIMEOUT_MS = 30_000;
/** A command the engine's restart stopped (see engine-watch.ts). */
const ENGINE_RESTARTED = 'engine-restarted' as const;
/**
 * Commands start in /workspace and change to their cwd themselves: Docker would fail an exec
 * whose WorkingDir is missing, and for a new container it would create it as root inside the
 * checkout. This way a missing cwd is an ordinary failed command.
 */
const IN_CWD = 'cd -- "$1" 2>/dev/null || { echo "no such directory: $1" >&2; exit 1; }; exec bash -lc "$2"';
/**
 * A network command's sibling first waits (up to 5 s) until the egress proxy named by
 * HTTP_PROXY accepts a connection: a container just attached to a network can take a moment
 * to reach its peers, and the command's first request must not fail for that.
 */
const PROXY_FIRST = 'p=${HTTP_PROXY#*://}; p=${p%%/*}; for _ in $(seq 50); do (exec 3<>"/dev/tcp/${p%:*}/${p##*:}") 2>/dev/null && break; sleep 0.1; done; ';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** How long stop() waits for network siblings being created, to remove them too. */
const CREATING_WAIT_MS = 30_000;

/**
 * The Sandbox port on Docker: one container per task, started from the repo's image with the
 * checkout at /workspace, no network, a non-root user, no capabilities, a read-only root and
 * the task's limits (see container-spec.ts). `id` is the container's name, fixed at
 * construction so it is stable before and after start; Docker accepts it wherever an id goes.
 */
export class DockerSandbox implements Sandbox {
  readonly id: string;
  private readonly docker: Docker;
  private readonly log: Logger;
  private readonly user: SandboxUser;
  private readonly spec: Omit<ContainerSpecInput, 'cmd' | 'role' | 'networkMode' | 'name' | 'openStdin'>;
  private started?: Promise<Docker.Container>;
  private readonly siblings = new Set<Docker.Container>();
  /** Network siblings being created: each settles with its container once it exists (or with none). */
  private readonly creating = new Set<Promise<Docker.Container | undefined>>();
  private stopped = false;
  /** The warm container this sandbox adopted is gone (the engine lost it). */
  private warmLost = false;
  private readonly files: SandboxFiles;

  constructor(private readonly options: DockerSandboxOptions) {
    if (options.user?.uid === 0) throw new CodexError('sandbox_root_user', 'A sandbox must not run as root.');
    const project = options.project ?? DEFAULT_PROJECT;
    this.id = options.warm?.container ?? `${project}-${options.taskId}-${randomBytes(3).toString('hex')}`.replace(/[^A-Za-z0-9_.-]/g, '-');
    this.docker = options.docker ?? new Docker();
    this.log = (options.logger ?? silentLogger()).child({ taskId: options.taskId, sandbox: this.id });
    this.user = options.user ?? IMAGE_USER;
    this.spec = {
      image: options.image,
      taskId: options.taskId,
      project,
      workspaceDir: options.workspaceDir,
      readOnlyMounts: options.readOnlyMounts ?? [],
      limits: options.limits,
      user: this.user,
      home: options.home ?? '/home/agent',
      runtime: options.runtime,
      runId: options.runId,
      workerId: options.workerId,
    };
    this.files = new SandboxFiles((script, args, stdin, capBytes) => this.runScript(script, args, stdin, capBytes), options.maxFileBytes ?? 8 * 1024 * 1024);
  }

  /** Creates and starts the container; idempotent, and exec calls it on demand. */
  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new CodexError('sandbox_stopped', 'This sandbox was stopped; create a new one.'));
    const warm = this.options.warm;
    // A warm container the engine lost is replaced by a new one, made here like any other.
    if (warm && !this.warmLost) this.started ??= Promise.resolve(this.docker.getContainer(warm.container));
    this.started ??= (async () => {
      const container = await this.docker.createContainer(containerSpec({ ...this.spec, name: this.id, role: 'sandbox', networkMode: 'none', cmd: ['sleep', 'infinity'] }));
      await container.start();
      this.log.debug('sandbox started');
      return container;
    })().catch((e) => {
      this.started = undefined;
      throw new CodexError('sandbox_start_failed', `Could not start the sandbox from ${this.options.image}: ${(e as Error).message}`, { cause: e, retryable: true, userMessage: sandboxStartHint(this.options.image, e) });
    });
    return this.started.then(() => undefined);
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const cwd = containerPath(checkWorkspacePath(options.cwd ?? ''));
    const env = Object.entries(options.env ?? {}).map(([k, v]) => {
      if (!ENV_NAME.test(k)) throw new CodexError('invalid_env', `Invalid environment variable name ${JSON.stringify(k)}.`);
      return `${k}=${v}`;
    });
    const stdin = options.stdin === undefined ? undefined : Buffer.from(options.stdin, 'utf8');
    const base = { timeoutMs: this.timeoutMs(options.timeoutMs), signal: options.signal, capBytes: this.options.outputCapBytes ?? 64 * 1024, stdin };
    if (this.stopped) throw new CodexError('sandbox_stopped', 'This sandbox was stopped; create a new one.');
    if (options.signal?.aborted) return { exitCode: -1, stdout: '', stderr: '', durationMs: 0, timedOut: false, aborted: true, truncated: false };
    const raw = await this.run(command, cwd, env, base, options.network === true).catch(async (e: unknown) => {
      if (CodexError.isInstance(e)) throw e;
      // stop() removed the container under the command (it was being started): the command was stopped, not broken.
      if (this.stopped) return undefined;
      // Nothing reached the engine: once it is back, the command runs as if nothing happened.
      if (neverConnected(e)) return this.recover().then(() => this.run(command, cwd, env, base, options.network === true));
      if (isEngineLost(e)) return this.recover();
      throw new CodexError('sandbox_exec_failed', `Docker could not run the command: ${(e as Error).message}`, { cause: e, retryable: true, userMessage: 'The sandbox could not run a command; check that Docker is running, then retry the task.' });
    });
    if (!raw) return { exitCode: 137, stdout: '', stderr: 'The sandbox was stopped while this command started.\n', durationMs: 0, timedOut: false, aborted: true, truncated: false };
    // -1: Docker could not tell the exit code; 137, 143: killed. If the container (or the engine) is down, the engine stopped the command.
    if (raw === ENGINE_RESTARTED || ([-1, 137, 143].includes(raw.exitCode) && !raw.aborted && !raw.timedOut && (await this.containerDown()))) {
      if (raw !== ENGINE_RESTARTED) await this.recover();
      return { exitCode: -1, stdout: '', stderr: ENGINE_RESTARTED_OUTPUT, durationMs: raw === ENGINE_RESTARTED ? 0 : raw.durationMs, timedOut: false, aborted: false, truncated: false };
    }
    const result: ExecResult = {
      exitCode: raw.exitCode,
      stdout: raw.stdout.text(),
      stderr: raw.stderr.text(),
      durationMs: raw.durationMs,
      timedOut: raw.timedOut,
      aborted: raw.aborted,
      truncated: raw.stdout.truncated || raw.stderr.truncated,
    };
    this.log.debug({ exitCode: result.exitCode, durationMs: result.durationMs, timedOut: result.timedOut, aborted: result.aborted, network: !!options.network }, 'command finished');
    return result;
  }

  private async run(command: string, cwd: string, env: string[], base: { timeoutMs: number; signal?: AbortSignal; capBytes: number; stdin?: Buffer }, network: boolean) {
    const argv = ['bash', '-c', network ? PROXY_FIRST + IN_CWD : IN_CWD, 'codex-cwd', cwd, command];
    if (!network) {
      return this.withContainer((container) => execInContainer({ ...base, container, argv, user: this.userSpec(), workingDir: '/workspace', env, restart: () => this.restart(), logger: this.log }));
    }
    const route = await egressFor(this.docker, this.spec.project, { image: this.options.egressImage, logger: this.log }).ensure({
      network: this.options.network ?? 'bridge',
      allow: this.options.networkAllow ?? [],
    });
    if (this.stopped) throw new CodexError('sandbox_stopped', 'This sandbox was stopped; create a new one.');
    let sibling: Docker.Container | undefined;
    let created!: (c: Docker.Container | undefined) => void;
    const creation = new Promise<Docker.Container | undefined>((resolve) => (created = resolve));
    this.creating.add(creation);
    const settle = (c: Docker.Container | undefined) => {
      this.creating.delete(creation);
      created(c);
    };
    return runInSibling({
      ...base,
      docker: this.docker,
      spec: { ...this.spec, env: [...route.env, ...env] },
      name: `${this.id}-net-${randomBytes(3).toString('hex')}`,
      network: route.network,
      argv,
      onCreated: (c) => {
        sibling = c;
        settle(c);
        // stop() raced with the creation: the sibling never starts, and stop() removes it.
        if (this.stopped) throw new Error('the sandbox was stopped while the command started');
        this.siblings.add(c);
      },
      logger: this.log,
    }).finally(() => {
      settle(undefined);
      if (sibling) this.siblings.delete(sibling);
    });
  }

  readFile(path: string): Promise<string> {
    return this.files.read(path);
  }

  writeFile(path: string, content: string): Promise<void> {
    return this.files.write(path, content);
  }

  deleteFile(path: string): Promise<void> {
    return this.files.delete(path);
  }

  fileExists(path: string): Promise<boolean> {
    return this.files.exists(path);
  }

  async freeze<T>(work: () => Promise<T>): Promise<T> {
    const main = await this.started?.catch(() => undefined);
    const containers = [...(main ? [main] : []), ...this.siblings];
    const paused: Docker.Container[] = [];
    try {
      for (const c of containers) {
        // A container that is not running has no process that could change anything.
        const ok = await c.pause().then(
          () => true,
          (e: { statusCode?: number; message?: string }) => {
            if (e.statusCode === 409 && /not running/i.test(e.message ?? '')) return false;
            throw new CodexError('sandbox_exec_failed', `Could not freeze sandbox ${this.id}: ${e.message ?? 'unknown error'}`, { cause: e, retryable: true });
          },
        );
        if (ok) paused.push(c);
      }
      return await work();
    } finally {
      await Promise.all(paused.map((c) => c.unpause().catch((e: unknown) => this.log.warn({ err: e }, 'could not unfreeze a sandbox container'))));
    }
  }

  /** True when the engine cannot be reached or says the sandbox's container is not running. */
  private async containerDown(): Promise<boolean> {
    const container = await this.started?.catch(() => undefined);
    if (!container || this.stopped) return false;
    return container.inspect().then(
      (info) => !info.State.Running,
      (e: unknown) => isEngineLost(e),
    );
  }

  /**
   * The engine went away under a command (see engine-watch.ts): waits for it to answer again
   * (throws `docker_unavailable` when it does not in time) and starts the container again.
   */
  private async recover(): Promise<typeof ENGINE_RESTARTED> {
    this.log.warn('the Docker engine went away under a command; waiting for it to come back');
    await waitForEngine(this.docker, this.options.engineWaitMs);
    const container = await this.started?.catch(() => undefined);
    if (container && !this.stopped) {
      await container.start().catch(async (e: { statusCode?: number }) => {
        if (e.statusCode === 304) return; // already running
        if (e.statusCode !== 404) throw e;
        this.started = undefined; // the engine lost it: a new one on the same checkout
        this.warmLost = true;
        await this.start();
      });
    }
    this.log.info('the Docker engine is back; the sandbox runs again');
    return ENGINE_RESTARTED;
  }

  /** Removes the container and any network sibling still running; idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    // Siblings still being created are removed here too, once they exist (they never start).
    const creating = [...this.creating];
    // An engine that is restarting gets its time to come back: the containers must be removed.
    if (!(await this.docker.ping().then(() => true, () => false))) await waitForEngine(this.docker, this.options.engineWaitMs).catch(() => undefined);
    const started = this.started;
    this.started = undefined;
    const containers = [...this.siblings];
    this.siblings.clear();
    // (Bounded: an engine that hangs a creation must not hang the stop; the run removes its own.)
    const late = await withTimeout(Promise.all(creating), CREATING_WAIT_MS).catch(() => [] as Array<Docker.Container | undefined>);
    for (const c of late) if (c && !containers.some((known) => known.id === c.id)) containers.push(c);
    const main = await started?.catch(() => undefined);
    if (main) containers.push(main);
    // A warm sandbox's slot directories go with it (its container is removed below as well).
    if (this.options.warm) await this.options.warm.release();
    await Promise.all(
      containers.map((c) =>
        c.remove({ force: true }).catch((e: { statusCode?: number }) => {
          // 404: gone already; 409: its removal is under way (a sibling's own clean-up).
          if (e.statusCode !== 404 && e.statusCode !== 409) this.log.warn({ err: e }, 'removing a sandbox container failed');
        }),
      ),
    );
    // The host commits the work tree only once nothing can change it: the engine must confirm
    // that every container of this sandbox is gone (one more removal attempt first).
    const left = await Promise.all(containers.map((c) => gone(c).then((g) => (g ? undefined : c))));
    const stubborn = left.filter((c): c is Docker.Container => c !== undefined);
    if (stubborn.length === 0) return;
    await Promise.all(stubborn.map((c) => c.remove({ force: true }).catch(() => undefined)));
    if ((await Promise.all(stubborn.map(gone))).every(Boolean)) return;
    throw new CodexError('sandbox_not_removed', `The Docker engine did not remove sandbox ${this.id}.`, {
      retryable: true,
      userMessage: 'The sandbox container could not be removed, so nothing was committed (it could still change the files). Reply here to try again; if it keeps happening, check the Docker engine on the worker.',
    });
  }

  private userSpec(): string {
    return `${this.user.uid}:${this.user.gid}`;
  }

  private timeoutMs(requested: number | undefined): number {
    const { commandTimeoutSec, maxCommandTimeoutSec } = this.options.limits;
    const wanted = requested !== undefined && requested > 0 ? requested : commandTimeoutSec * 1000;
    return Math.min(wanted, maxCommandTimeoutSec * 1000);
  }

  /** Runs `work` on the started container; if the container died (e.g. OOM), starts it again once. */
  private async withContainer<T>(work: (c: Docker.Container) => Promise<T>): Promise<T> {
    await this.start();
    const container = await this.started;
    if (!container) throw new CodexError('sandbox_stopped', 'This sandbox was stopped; create a new one.');
    try {
      return await work(container);
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 409) throw e;
      this.log.warn('sandbox container was not running; starting it again');
      await container.start().catch(() => undefined);
      return work(container);
    }
  }

  private async restart(): Promise<void> {
    const container = await this.started;
    this.log.warn('restarting the sandbox container to stop a command that could not be killed');
    await container?.restart({ t: 0 });
  }

  private async runScript(script: string, args: string[], stdin?: Buffer, capBytes = 64 * 1024) {
    const once = () =>
      this.withContainer((container) =>
        execInContainer({ container, argv: ['bash', '-c', script, 'sandbox-file', ...args], user: this.userSpec(), workingDir: '/workspace', stdin, timeoutMs: FILE_OP_TIMEOUT_MS, capBytes, restart: () => this.restart(), logger: this.log }),
      );
    // A file operation is atomic and can simply run again once the engine is back.
    let raw = await once().catch(async (e: unknown) => {
      if (!isEngineLost(e) || this.stopped) throw e;
      await this.recover();
      return once();
    });
    if (raw.exitCode === -1 && !raw.timedOut && (await this.containerDown())) {
      await this.recover();
      raw = await once();
    }
    return { exitCode: raw.exitCode, stdout: raw.stdout.bytes(), stderr: raw.stderr.text(), truncated: raw.stdout.truncated };
  }
}

/** What to do when a sandbox does not start: a missing image is the common case. */
function sandboxStartHint(image: string, e: unknown): string {
  const status = (e as { statusCode?: number }).statusCode;
  if (status === 404 || /no such image|not found/i.test((e as Error).message ?? '')) {
    return `The sandbox image ${image} is not on the worker's Docker engine. Build the default image with \`npm run sandbox:build\`, or fix "image" in the repo config, then reply here to try again.`;
  }
  return `The sandbox (image ${image}) could not start: ${(e as Error).message ?? 'unknown error'}. Check that Docker is running on the worker, then reply here to try again.`;
}

