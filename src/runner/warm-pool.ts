import { createHash, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { Limits } from '../config.js';
import { silentLogger, type Logger } from '../logger.js';
import { MIRROR_OBJECTS_MOUNT } from './checkout.js';
import { containerSpec } from './container-spec.js';
import { LABEL_POOL_DATA, LABEL_POOL_OWNER, LABEL_PROJECT, LABEL_ROLE } from './labels.js';
import { removeTree } from './remove-tree.js';
import { INSTALLATION_SKILLS_DIR } from './sandbox.js';
import type { SandboxUser } from './sandbox-user.js';
import { SETUP_CACHE_DIR, slotDirs, WarmSlot } from './warm-slot.js';

/** What a container is made of before any task: repos with the same shape share a pool. */
export interface WarmShape {
  image: string;
  runtime?: string;
  limits: Pick<Limits, 'memoryMb' | 'cpus' | 'pids' | 'diskMb'>;
}

export interface WarmPoolOptions {
  docker: Docker;
  /** The installation (`codex.project` label), as for every sandbox. */
  project: string;
  /** The worker's data directory; slots live in `<dataDir>/warm`. One worker process per data directory. */
  dataDir: string;
  /** The worker's id (its heartbeat in Redis): the `codex.pool-owner` label. */
  owner: string;
  /** Ready sandboxes kept per shape (config `sandbox.warmPool`); 0: the pool does nothing. */
  size: number;
  /** A ready sandbox older than this is replaced (config `sandbox.warmMaxAgeMinutes`). */
  maxAgeMs: number;
  /** The user checkouts are owned by (Workspace's), which the container runs as. */
  user: SandboxUser;
  /** The worker's skills snapshot, mounted read-only like a cold sandbox's. */
  skillsDir?: string;
  /** How long after a claim the pool starts refilling (default 2 s). */
  refillDelayMs?: number;
  /** How often ready sandboxes are checked (running, not too old); default 30 s. */
  checkMs?: number;
  logger?: Logger;
}

interface Ready {
  name: string;
  createdAt: number;
}

interface Pool {
  shape: WarmShape;
  ready: Ready[];
  creating: number;
  /** Set after a failed creation, so a missing image warns once, not every check. */
  failing?: boolean;
}

/**
 * Sandboxes created and started before any task needs one, so a task's sandbox is ready in the
 * time of one engine call (a rename) instead of a `docker run`. Each has the hardening of every sandbox
 * (container-spec.ts: no network, non-root, no capabilities, read-only root, limits) and holds
 * nothing of any task or repo until claimed: /workspace and the read-only mounts are empty
 * directories of its slot (warm-slot.ts) until the claiming task puts its files there.
 *
 * Claims are atomic within the process (a synchronous take from the ready list), and a pool
 * belongs to one worker process: no other process claims from it. A claimed sandbox is the
 * task's until its sandbox stops (then removed, never returned to the pool). Emptied pools are
 * refilled in the background; a ready sandbox that stopped running or got older than `maxAgeMs`
 * is replaced. `stop()` removes what is still ready; `reapWarmSandboxes` removes what dead
 * workers (or an earlier process on this data directory) left.
 */
export class WarmPool {
  private readonly pools = new Map<string, Pool>();
  private readonly log: Logger;
  private timer?: NodeJS.Timeout;
  private checking: Promise<void> | undefined;
  private stopped = false;
  private readonly creating = new Set<Promise<unknown>>();

  constructor(private readonly options: WarmPoolOptions) {
    this.log = (options.logger ?? silentLogger()).child({ component: 'warm-pool' });
  }

  /** Starts filling one pool per distinct shape; returns at once (creation happens in the background). */
  start(shapes: WarmShape[]): void {
    if (this.options.size <= 0) return;
    for (const shape of shapes) {
      const key = shapeKey(shape);
      if (!this.pools.has(key)) this.pools.set(key, { shape: normalize(shape), ready: [], creating: 0 });
    }
    for (const key of this.pools.keys()) this.refill(key);
    this.timer = setInterval(() => {
      // One check at a time; a failed one is logged, never an unhandled rejection.
      if (this.checking) return;
      this.checking = this.check()
        .catch((e: unknown) => this.log.warn({ err: e }, 'could not check the warm sandboxes'))
        .finally(() => (this.checking = undefined));
    }, this.options.checkMs ?? 30_000);
    this.timer.unref();
  }

  /** Resolves when every pool is full (tests and the bench wait for it). */
  async whenFull(timeoutMs = 120_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if ([...this.pools.values()].every((p) => p.ready.length >= this.options.size)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the warm pool did not fill in time');
  }

  /** The names of the ready sandboxes of a shape (tests, logs). */
  readyNames(shape: WarmShape): string[] {
    return this.pools.get(shapeKey(shape))?.ready.map((r) => r.name) ?? [];
  }

  /**
   * Takes a ready sandbox of this shape for one task, or undefined (none ready, or the pool is
   * off: the task starts a sandbox of its own). The pool is refilled behind it. The container is
   * renamed `<project>-<task id>-w<hex>`: `docker ps` shows whose it is, and a reaper that finds
   * it without its owner checks that task before removing it.
   */
  async claim(shape: WarmShape, taskId: string): Promise<WarmSlot | undefined> {
    const key = shapeKey(shape);
    const pool = this.pools.get(key);
    if (!pool || this.stopped) return undefined;
    for (let entry = pool.ready.shift(); entry; entry = pool.ready.shift()) {
      this.refillSoon(key);
      // Taken from the list first: no other task can claim it meanwhile. One engine call, the
      // rename, also proves it still exists; one that stopped running is started again by its
      // first command (DockerSandbox), and the periodic check replaces dead ones before that.
      if (Date.now() - entry.createdAt < this.options.maxAgeMs) {
        const claimed = `${this.options.project}-${taskId}-w${entry.name.slice(-10)}`;
        const renamed = await this.options.docker
          .getContainer(entry.name)
          .rename({ name: claimed })
          .then(() => true, (e: unknown) => (this.log.warn({ err: e, container: entry.name }, 'could not claim a warm sandbox'), false));
        if (renamed) {
          this.log.debug({ container: claimed, taskId }, 'warm sandbox claimed');
          return new WarmSlot(claimed, slotDirs(this.options.dataDir, entry.name), this.options.docker, this.options.skillsDir, this.log);
        }
      }
      await this.slot(entry.name).release();
    }
    this.refill(key);
    return undefined;
  }

  /** Stops refilling and removes the ready sandboxes, and those being made (claimed ones are their tasks'). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all([...this.creating]);
    const ready = [...this.pools.values()].flatMap((p) => p.ready.splice(0));
    await Promise.all(ready.map((r) => this.slot(r.name).release().then(() => removeTree(slotDirs(this.options.dataDir, r.name).workspace))));
  }

  private slot(name: string): WarmSlot {
    return new WarmSlot(name, slotDirs(this.options.dataDir, name), this.options.docker, this.options.skillsDir, this.log);
  }

  /**
   * Refills after `refillDelayMs`: making a container loads the engine, and the task that just
   * claimed one is about to run its first commands on that same engine.
   */
  private refillSoon(key: string): void {
    setTimeout(() => this.refill(key), this.options.refillDelayMs ?? 2_000).unref();
  }

  private refill(key: string): void {
    const pool = this.pools.get(key);
    if (!pool || this.stopped) return;
    while (pool.ready.length + pool.creating < this.options.size) {
      pool.creating++;
      const made = this.create(pool.shape)
        .then(
          (ready) => {
            if (this.stopped) return this.slot(ready.name).release().then(() => removeTree(slotDirs(this.options.dataDir, ready.name).workspace));
            pool.ready.push(ready);
            pool.failing = false;
          },
          (e: unknown) => {
            // A missing image is already named at start (warn-unreachable.ts) and by each task that needs it.
            const level = pool.failing || (e as { statusCode?: number }).statusCode === 404 ? 'debug' : 'warn';
            pool.failing = true;
            this.log[level]({ err: e, image: pool.shape.image }, 'could not start a warm sandbox; tasks start their own, and the pool tries again at its next check');
          },
        )
        .finally(() => {
          pool.creating--;
          this.creating.delete(made);
        });
      this.creating.add(made);
    }
  }

  private async create(shape: WarmShape): Promise<Ready> {
    const { docker, project, dataDir, owner, user } = this.options;
    const name = `${project}-warm-${randomBytes(5).toString('hex')}`;
    const dirs = slotDirs(dataDir, name);
    await mkdir(dirs.workspace, { recursive: true });
    await mkdir(dirs.objects, { recursive: true });
    await mkdir(dirs.setup, { recursive: true });
    const skills = this.options.skillsDir ? [{ source: this.options.skillsDir, target: INSTALLATION_SKILLS_DIR }] : [];
    const spec = containerSpec({
      name,
      image: shape.image,
      project,
      role: 'warm',
      workspaceDir: dirs.workspace,
      readOnlyMounts: [{ source: dirs.objects, target: MIRROR_OBJECTS_MOUNT }, { source: dirs.setup, target: SETUP_CACHE_DIR }, ...skills],
      limits: { ...shape.limits, commandTimeoutSec: 0, maxCommandTimeoutSec: 0, maxFiles: 0, maxQueuedTasksPerUser: 0, maxRunningTasks: 0, maxRunningTasksPerUser: 0 },
      user,
      home: '/home/agent',
      networkMode: 'none',
      cmd: ['sleep', 'infinity'],
      runtime: shape.runtime,
      extraLabels: { [LABEL_POOL_OWNER]: owner, [LABEL_POOL_DATA]: dataHash(dataDir) },
    });
    try {
      const container = await docker.createContainer(spec);
      await container.start();
    } catch (e) {
      await this.slot(name).release();
      await removeTree(dirs.workspace);
      throw e;
    }
    this.log.debug({ container: name, image: shape.image }, 'warm sandbox ready');
    return { name, createdAt: Date.now() };
  }

  /** Replaces ready sandboxes that stopped running or got too old. */
  private async check(): Promise<void> {
    for (const [key, pool] of this.pools) {
      for (const entry of [...pool.ready]) {
        const running = await this.options.docker
          .getContainer(entry.name)
          .inspect()
          .then((i) => i.State.Running, () => false);
        if (running && Date.now() - entry.createdAt < this.options.maxAgeMs) continue;
        const at = pool.ready.indexOf(entry);
        if (at < 0) continue; // claimed meanwhile
        pool.ready.splice(at, 1);
        this.log.info({ container: entry.name, running }, 'replacing a warm sandbox');
        await this.slot(entry.name).release();
        await removeTree(slotDirs(this.options.dataDir, entry.name).workspace);
      }
      this.refill(key);
    }
  }
}

/**
 * Removes warm sandboxes (claimed or not) that no live worker owns: those of owners not in
 * `liveOwners`, and every one made on this data directory by an earlier process (one worker
 * process per data directory, so they are all stale at start). Also clears `<dataDir>/warm`
 * when `atStart`. Other installations' containers are never touched (project label).
 */
export async function reapWarmSandboxes(input: {
  docker: Docker;
  project: string;
  dataDir: string;
  liveOwners: Set<string>;
  /** Whether a task runs somewhere (a claimed sandbox of an owner that seems gone is kept while it does). */
  isLive: (taskId: string) => boolean | Promise<boolean>;
  atStart: boolean;
  logger?: Logger;
  /**
   * Claimed sandboxes of live owners whose task did not run at the last reap (container ids;
   * updated here). One still not running now is removed: its owner's stop failed to remove it
   * (an engine blip). Two sightings a reap apart, so a claim made a moment before its task
   * shows as running elsewhere is never taken for one.
   */
  suspects?: Set<string>;
}): Promise<string[]> {
  const list = await input.docker.listContainers({ all: true, filters: { label: [`${LABEL_PROJECT}=${input.project}`, `${LABEL_ROLE}=warm`] } });
  const mine = dataHash(input.dataDir);
  const removed: string[] = [];
  const suspects = new Set<string>();
  const running = async (taskId: string) => Promise.resolve(input.isLive(taskId)).catch(() => true);
  for (const info of list) {
    const name = info.Names[0]?.replace(/^\//, '') ?? '';
    const taskId = claimedTask(input.project, name);
    let stale = input.atStart && info.Labels[LABEL_POOL_DATA] === mine;
    if (!stale && !input.liveOwners.has(info.Labels[LABEL_POOL_OWNER] ?? '')) {
      // A heartbeat can lapse while its worker lives (a Redis blip): a claimed sandbox goes only
      // once its task is not running; an unclaimed one is cheap to lose (a claim checks first).
      stale = taskId === undefined || !(await running(taskId));
    } else if (!stale && taskId !== undefined && input.suspects && !(await running(taskId))) {
      stale = input.suspects.has(info.Id);
      if (!stale) suspects.add(info.Id);
    }
    if (!stale) continue;
    await input.docker
      .getContainer(info.Id)
      .remove({ force: true })
      .then(() => removed.push(info.Names[0]?.replace(/^\//, '') ?? info.Id), () => undefined);
  }
  if (input.suspects) {
    input.suspects.clear();
    for (const id of suspects) input.suspects.add(id);
  }
  if (input.atStart) await removeTree(slotDirs(input.dataDir, 'x').root).catch(() => undefined);
  if (removed.length) input.logger?.info({ removed }, 'removed warm sandboxes of workers that are gone, or of tasks that ended');
  return removed;
}

/** The distinct shapes of a list of repos (their image, runtime and container limits). */
export function warmShapes(repos: WarmShape[]): WarmShape[] {
  const byKey = new Map<string, WarmShape>();
  for (const r of repos) byKey.set(shapeKey(r), normalize(r));
  return [...byKey.values()];
}

/** The task id in a claimed sandbox's name (WarmPool.claim), or undefined for an unclaimed one. */
export function claimedTask(project: string, name: string): string | undefined {
  if (!name.startsWith(`${project}-`)) return undefined;
  const match = /^(.+)-w[0-9a-f]{10}$/.exec(name.slice(project.length + 1));
  return match && match[1] !== 'warm' ? match[1] : undefined;
}

function normalize(s: WarmShape): WarmShape {
  return { image: s.image, runtime: s.runtime, limits: { memoryMb: s.limits.memoryMb, cpus: s.limits.cpus, pids: s.limits.pids, diskMb: s.limits.diskMb } };
}

function shapeKey(s: WarmShape): string {
  return JSON.stringify(normalize(s));
}

function dataHash(dataDir: string): string {
  return createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
}
