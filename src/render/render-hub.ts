import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { TaskRenderer, type RendererDeps } from './task-renderer.js';

/** A renderer's claim on a task lapses this long after its process stops renewing it. */
export const LEASE_MS = 15_000;
/** How often every hub looks for tasks with events no renderer is delivering. */
export const SCAN_MS = 10_000;

export interface RenderHubOptions extends RendererDeps {
  redisUrl: string;
  /** The installation's activity stream (TaskStore.key('activity')). */
  activityKey: string;
  leaseMs?: number;
  scanMs?: number;
}

/**
 * Runs the renderers of this process. Every process (app or worker role) has one hub; each
 * task's events are rendered by exactly one of them at a time, whichever takes the task's lease
 * first. A hub wakes on the installation's activity stream (one entry per event appended) and,
 * every SCAN_MS, takes over tasks whose renderer died with events left (its lease lapsed), so a
 * card is truthful again at most LEASE_MS + SCAN_MS after the process rendering it was killed.
 */
export class RenderHub {
  private readonly renderers = new Map<string, TaskRenderer>();
  private readonly claiming = new Set<string>();
  private blocking?: Redis;
  private scanTimer?: NodeJS.Timeout;
  private listening?: Promise<void>;
  private running = false;

  private readonly leaseMs: number;
  private readonly scanMs: number;

  constructor(private readonly deps: RenderHubOptions) {
    this.leaseMs = deps.leaseMs ?? LEASE_MS;
    this.scanMs = deps.scanMs ?? SCAN_MS;
  }

  start(): void {
    this.running = true;
    // A blocking read needs a connection of its own (it would stall every other command).
    this.blocking = new Redis(this.deps.redisUrl, { maxRetriesPerRequest: null });
    this.blocking.on('error', (e) => this.deps.logger.debug({ err: e }, 'render hub redis connection error'));
    this.listening = this.listen();
    void this.scan();
    this.scanTimer = setInterval(() => void this.scan(), this.scanMs);
    this.scanTimer.unref();
  }

  /** Renders `taskId`'s new events here, unless another process is rendering them. */
  async ensure(taskId: string): Promise<void> {
    const local = this.renderers.get(taskId);
    if (local) return local.poke();
    if (!this.running || this.claiming.has(taskId)) return;
    this.claiming.add(taskId);
    try {
      const token = randomUUID();
      if (!(await this.deps.progress.takeLease(taskId, token, this.leaseMs))) return;
      const renderer = new TaskRenderer(taskId, this.deps);
      this.renderers.set(taskId, renderer);
      void this.runRenderer(renderer, token);
    } catch (e) {
      this.deps.logger.debug({ err: e, taskId }, 'could not claim a task to render');
    } finally {
      this.claiming.delete(taskId);
    }
  }

  /** Stops every renderer after the output in hand; other processes carry on from there. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.scanTimer);
    const running = [...this.renderers.values()];
    for (const r of running) r.stop();
    await Promise.race([Promise.all(running.map((r) => this.finished.get(r))), new Promise((r) => setTimeout(r, 5_000).unref())]);
    this.blocking?.disconnect();
    await this.listening?.catch(() => undefined);
  }

  private readonly finished = new WeakMap<TaskRenderer, Promise<void>>();

  private runRenderer(renderer: TaskRenderer, token: string): Promise<void> {
    const { progress, logger } = this.deps;
    const taskId = renderer.taskId;
    const renew = setInterval(() => {
      progress.renewLease(taskId, token, this.leaseMs).then(
        (held) => held || renderer.stop(),
        () => undefined,
      );
    }, this.leaseMs / 3);
    let failed = false;
    const done = renderer
      .run()
      .catch((e: unknown) => {
        failed = true;
        logger.warn({ err: e, taskId }, 'task renderer stopped on an error');
      })
      .finally(async () => {
        clearInterval(renew);
        this.renderers.delete(taskId);
        await progress.releaseLease(taskId, token).catch(() => undefined);
        // An event that came while this renderer was finishing has no renderer yet. (After an
        // error, the next scan tries again rather than this loop spinning.)
        const [last, rendered] = await Promise.all([progress.lastSeq(taskId), progress.renderedSeq(taskId)]).catch(() => [0, 0]);
        if (this.running && !failed && last > rendered) void this.ensure(taskId);
      });
    this.finished.set(renderer, done);
    return done;
  }

  private async listen(): Promise<void> {
    let last = '$';
    while (this.running) {
      try {
        const reply = (await this.blocking!.xread('COUNT', 500, 'BLOCK', 2_000, 'STREAMS', this.deps.activityKey, last)) as Array<[string, Array<[string, string[]]>]> | null;
        const ids = new Set<string>();
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            last = id;
            const taskId = fields[fields.indexOf('t') + 1];
            if (taskId) ids.add(taskId);
          }
        }
        for (const taskId of ids) void this.ensure(taskId);
      } catch (e) {
        if (!this.running) return;
        this.deps.logger.debug({ err: e }, 'render hub could not read the activity stream');
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  private async scan(): Promise<void> {
    try {
      for (const taskId of await this.deps.progress.pendingTaskIds()) void this.ensure(taskId);
    } catch (e) {
      this.deps.logger.debug({ err: e }, 'render hub could not scan for tasks to render');
    }
  }
}
