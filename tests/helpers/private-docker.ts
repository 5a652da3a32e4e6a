import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';

/*
 * A Docker engine of the test's own (a second `dockerd` with its own socket, data root, exec
 * root, containerd namespace and bridge, and no iptables rules), so a test can restart the
 * engine under a running task without touching the shared engine other tests use. Needs root,
 * as dockerd does. The sandbox image is copied in with `docker save | docker load`.
 *
 * Never `--bridge=none`: a dockerd started so deletes the host's `docker0` interface, which
 * the shared engine's default network needs. This engine gets a bridge of its own instead.
 */

export interface PrivateDocker {
  /** The DOCKER_HOST value of this engine. */
  host: string;
  docker: Docker;
  /** Stops the engine as `systemctl restart docker` does (SIGTERM: it stops its containers), and starts it again. */
  restart(options?: { downForMs?: number }): Promise<void>;
  /** Stops the engine (SIGTERM) and leaves it down until `up`. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateDocker(options: { images: string[] }): Promise<PrivateDocker> {
  // Short: the socket path must fit in sun_path.
  const dir = mkdtempSync('/tmp/cpd-');
  const bridge = `cpd${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['link', 'add', bridge, 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', `10.254.${randomInt(256)}.1/24`, 'dev', bridge]);
  execFileSync('ip', ['link', 'set', bridge, 'up']);
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const docker = new Docker({ socketPath: socket });
  let child: ChildProcess | undefined;
  let log = '';
  const launch = async () => {
    const proc = spawn('dockerd', ['--host', host, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'docker.pid'), `--bridge=${bridge}`, '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--containerd-namespace', `cpd-${dir.slice(-6)}`, '--containerd-plugins-namespace', `cpd-plugins-${dir.slice(-6)}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    child = proc;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`dockerd exited (${proc.exitCode}):\n${log.slice(-2000)}`);
      if (await docker.ping().then(() => true, () => false)) return;
      if (Date.now() > deadline) throw new Error(`dockerd did not answer within 60 s:\n${log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const halt = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    await exited;
    child = undefined;
  };
  const cleanup = async () => {
    const left = await docker.listContainers({ all: true }).catch(() => []);
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    await halt();
    rmSync(dir, { recursive: true, force: true });
    try {
      execFileSync('ip', ['link', 'del', bridge]);
    } catch {
      // already gone
    }
  };
  try {
    await launch();
    for (const image of options.images) {
      await new Promise<void>((resolve, reject) => {
        const save = spawn('docker', ['save', image], { stdio: ['ignore', 'pipe', 'inherit'] });
        const load = spawn('docker', ['load', '--quiet'], { env: { ...process.env, DOCKER_HOST: host }, stdio: [save.stdout!, 'ignore', 'inherit'] });
        load.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker load of ${image} failed (${code})`))));
      });
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    host,
    docker,
    async restart(restartOptions = {}) {
      await halt();
      if (restartOptions.downForMs) await new Promise((r) => setTimeout(r, restartOptions.downForMs));
      await launch();
    },
    down: halt,
    up: launch,
    stop: cleanup,
  };
}
