import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply, toolOutputs, userMessages, type Script } from '../fakes/model-server.js';
import { slash, startE2E, type E2E } from '../helpers/e2e.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/spawned-worker.js';

/*
 * Scale-out: an app-only process (CODEX_ROLE=app, in this test's process) and two worker
 * processes (CODEX_ROLE=worker, `src/app.ts` started as its own process, each with its own data
 * directory and Docker-side pool) against one Redis. Every task runs exactly once: one first
 * model request per task, one `task_started` per task, and its branch in exactly one worker's
 * mirror; both workers took tasks. (The throughput ratio is measured by the bench's `scale`
 * section, not asserted here.)
 */

const TASKS = 6;

let e: E2E | undefined;
const workers: WorkerProcess[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.dispose();
  await e?.cleanup();
  e = undefined;
});

const until = async <T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

/** The model takes a while (as a real one does), so the work is waiting, not CPU: each task one command, then an answer. */
const script: Script = (req) => ({ ...(toolOutputs(req).length === 0 ? reply(functionCall('shell', { command: 'echo ran' })) : reply(message('Done here.'))), delayMs: 1_500 });

function taskBranches(dataDir: string): string[] {
  const mirror = join(dataDir, 'mirrors', 'calc.git');
  if (!existsSync(mirror)) return [];
  const out = execFileSync('git', ['--git-dir', mirror, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/codex/'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

describe('two worker processes against one Redis', () => {
  it('run every task exactly once, and both take tasks', { timeout: 300_000 }, async () => {
    e = await startE2E({ script, env: { CODEX_ROLE: 'app' } });
    const [a, b] = [startWorkerProcess(e), startWorkerProcess(e)];
    workers.push(a, b);
    await until(() => (a.output().includes('worker started') && b.output().includes('worker started')) || undefined, 120_000, 'both workers to start');

    const prompts = Array.from({ length: TASKS }, (_, i) => `two workers job ${i}`);
    for (const p of prompts) expect((await slash(e, `task ${p}`)).status).toBe(200);
    const ids = await until(async () => {
      const list = await e!.store.activeTaskIds();
      return list.length === TASKS ? list : undefined;
    }, 60_000, 'the tasks to be created');
    await until(async () => {
      const tasks = await Promise.all(ids.map((id) => e!.store.getTask(id)));
      return tasks.every((t) => t?.status === 'done') || undefined;
    }, 240_000, 'every task to be done');

    // One first request per task (the one without tool output), two requests in all per task.
    const firsts = e.model.requests.filter((r) => toolOutputs(r).length === 0).map((r) => prompts.find((p) => userMessages(r).join('\n').includes(p)));
    expect(firsts.sort()).toEqual([...prompts].sort());
    expect(e.model.requests).toHaveLength(2 * TASKS);
    for (const id of ids) {
      const events = await e.store.readEvents(id);
      expect(events.filter((ev) => ev.type === 'task_started')).toHaveLength(1);
      expect(events.filter((ev) => ev.type === 'task_completed')).toHaveLength(1);
    }
    // Each task's branch is in exactly one worker's mirror, and both workers ran some.
    const [onA, onB] = [taskBranches(a.dataDir), taskBranches(b.dataDir)];
    expect(onA.length).toBeGreaterThan(0);
    expect(onB.length).toBeGreaterThan(0);
    expect(onA.filter((br) => onB.includes(br))).toEqual([]);
    expect(onA.length + onB.length).toBe(TASKS);

    for (const w of [a, b]) w.proc.kill('SIGTERM');
    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
  });
});
