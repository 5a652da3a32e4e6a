import { functionCall, message, reply, toolOutputs, type Script } from '../tests/fakes/model-server.js';
import { slash, startE2E, type E2E } from '../tests/helpers/e2e.js';
import { startWorkerProcess, type WorkerProcess } from '../tests/helpers/spawned-worker.js';

/*
 * Scale:
 * - `parallel` tasks at once in one process (WORKER_CONCURRENCY = parallel), one channel, under
 *   a fake Slack that enforces Slack's published rate limits: wall time from the first command
 *   to the last card in its final state, tasks per minute, 429s; beside one task alone.
 * - throughput of two worker processes against one (CODEX_ROLE=worker, spawned, the app in
 *   this process): the same tasks, each waiting on a model that takes MODEL_MS per answer, so
 *   the workers wait rather than compute (this machine has 2 cores shared by everything, the
 *   engine included; a CPU-bound workload would measure the machine, not the design). Slack
 *   pacing is lifted for this part (the fake does not enforce it) so Slack is not the limit.
 * - worker memory per running task: a worker's RSS (its node process and tsx) while
 *   `memoryTasks` tasks run at once, minus its RSS idle after a first task, divided by the tasks.
 */

const MODEL_MS = 2_000;

export interface ScaleResult {
  parallel: { tasks: number; wallMs: number; singleMs: number; tooMany: number; perMinute: number };
  workers: { tasks: number; oneMs: number; twoMs: number; ratio: number; perWorker: number };
  memory: { idleMb: number; busyMb: number; perTaskMb: number; running: number };
}

const quick: Script = (req) => (toolOutputs(req).length === 0 ? reply(functionCall('shell', { command: 'echo ran' })) : reply(message('Done here.')));
/** Two commands and an answer, each answer MODEL_MS after its request. */
const slow: Script = (req) => ({ ...(toolOutputs(req).length < 2 ? reply(functionCall('shell', { command: 'echo ran' })) : reply(message('Done here.'))), delayMs: MODEL_MS });

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends `count` tasks and resolves with the ms from the first command to every card saying Done. */
async function runTasks(e: E2E, count: number, label: string, onTick?: () => void): Promise<number> {
  const before = new Set(await e.store.activeTaskIds());
  const started = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => slash(e, `task ${label} ${i}`)));
  const ids = await until(async () => {
    const list = (await e.store.activeTaskIds()).filter((id) => !before.has(id));
    return list.length === count ? list : undefined;
  }, 600_000, 'the tasks to be created');
  await until(async () => {
    onTick?.();
    const tasks = await Promise.all(ids.map((id) => e.store.getTask(id)));
    if (!tasks.every((t) => t?.status === 'done')) return undefined;
    // The card of every task shows its final state.
    return tasks.every((t) => t?.cardTs && JSON.stringify(e.fake.message(t.channel, t.cardTs)?.blocks ?? []).includes('Done')) || undefined;
  }, 1_200_000, 'every task to be done');
  return performance.now() - started;
}

export async function benchScale(parallel: number, workerTasks: number, perWorker: number, memoryTasks = 8): Promise<ScaleResult> {
  // 1. Parallel tasks in one process, published limits enforced.
  let e = await startE2E({ script: quick, slack: { publishedLimits: true }, env: { WORKER_CONCURRENCY: String(parallel) }, repoConfig: { limits: { maxQueuedTasksPerUser: parallel } } });
  let par: ScaleResult['parallel'];
  try {
    const singleMs = await runTasks(e, 1, 'alone');
    const wallMs = await runTasks(e, parallel, 'parallel');
    par = { tasks: parallel, wallMs, singleMs, tooMany: e.fake.calls.filter((c) => c.status === 429).length, perMinute: parallel / (wallMs / 60_000) };
  } finally {
    await e.cleanup();
  }

  // 2. One worker process, then two, on the same workload; memory from the one.
  const fast = { slack: { streaming: 'off', postsPerSecond: 50, updatesPerMinute: 6_000 } };
  e = await startE2E({ script: slow, env: { CODEX_ROLE: 'app' }, repoConfig: { ...fast, limits: { maxQueuedTasksPerUser: Math.max(workerTasks, memoryTasks) } } });
  const spawned: WorkerProcess[] = [];
  try {
    const env = { WORKER_CONCURRENCY: String(perWorker) };
    const one = startWorkerProcess(e, env);
    spawned.push(one);
    await until(() => one.output().includes('worker started') || undefined, 120_000, 'the worker to start');
    const oneMs = await runTasks(e, workerTasks, 'one worker');
    const two = startWorkerProcess(e, env);
    spawned.push(two);
    await until(() => two.output().includes('worker started') || undefined, 120_000, 'the second worker to start');
    const twoMs = await runTasks(e, workerTasks, 'two workers');
    for (const w of spawned) w.proc.kill('SIGTERM');
    await Promise.all(spawned.map((w) => w.exited));

    // Memory: a worker that has run one task already (one-time costs paid), idle, then running
    // `memoryTasks` at once (each held by the model's MODEL_MS answers).
    const mem = startWorkerProcess(e, { WORKER_CONCURRENCY: String(memoryTasks) });
    spawned.push(mem);
    await until(() => mem.output().includes('worker started') || undefined, 120_000, 'the memory worker to start');
    await runTasks(e, 1, 'warm-up');
    await new Promise((r) => setTimeout(r, 3_000));
    const idle = mem.rssBytes();
    let busy = idle;
    await runTasks(e, memoryTasks, 'memory', () => (busy = Math.max(busy, mem.rssBytes())));
    mem.proc.kill('SIGTERM');
    await mem.exited;
    const mb = (b: number) => b / 1024 / 1024;
    return {
      parallel: par,
      workers: { tasks: workerTasks, oneMs, twoMs, ratio: oneMs / twoMs, perWorker },
      memory: { idleMb: mb(idle), busyMb: mb(busy), perTaskMb: mb(busy - idle) / memoryTasks, running: memoryTasks },
    };
  } finally {
    for (const w of spawned) await w.dispose();
    await e.cleanup();
  }
}
