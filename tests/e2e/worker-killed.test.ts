import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply, userMessages, type RecordedRequest } from '../fakes/model-server.js';
import { FAKE_IDS, FIX_PATCH, git, startE2E, type E2E } from '../helpers/e2e.js';
import { shown, startTask, waitEvent, waitStatus } from '../helpers/thread.js';
import { killWorker, startWorkerProcess, workerEnv, type WorkerProcess } from '../helpers/worker-process.js';

/*
 * A worker process killed with SIGKILL in the middle of a turn: the turn had edited a tracked
 * file and written an untracked one (neither committed: the host commits at the end of a
 * turn), then started a slow command. Another worker process takes the job over; the work tree
 * comes back from the checkpoint of the last completed step, the unfinished command runs again
 * on it, the thread says so, the task ends with one summary and a branch holding the edits, and
 * nothing of the dead worker's sandbox is left.
 */

const NOTES_PATCH = `*** Begin Patch
*** Add File: notes/progress.txt
+restored-from-checkpoint
*** End Patch`;
const SLOW = 'sleep 12; cat src/math.js notes/progress.txt';

let e: E2E | undefined;
const workers: WorkerProcess[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await killWorker(w);
  await e?.cleanup();
  e = undefined;
});

const resumed = (req: RecordedRequest) => userMessages(req).some((m) => m.includes('The worker running this task restarted'));
const outputs = (req: RecordedRequest): string[] => ((req.body?.input ?? []) as Array<{ type?: string; output?: string }>).flatMap((i) => (i.type === 'function_call_output' ? [String(i.output)] : []));

describe('a worker killed mid-turn', () => {
  it('resumes the turn on another worker with the work tree of its last completed step', { timeout: 240_000 }, async () => {
    let step = 0;
    e = await startE2E({
      env: { CODEX_ROLE: 'app' },
      script: (req) => {
        if (resumed(req)) return reply(message('Fixed add and wrote the notes, after the restart.'));
        step += 1;
        if (step === 1) return reply(functionCall('apply_patch', { input: FIX_PATCH }), functionCall('apply_patch', { input: NOTES_PATCH }));
        return reply(functionCall('shell', { command: SLOW, timeout_ms: 60_000 }));
      },
    });
    const env = workerEnv(e, { LOCK_MS: '5000', STALLED_MS: '2000' });
    const first = await startWorkerProcess(env);
    workers.push(first);
    const { taskId, card } = await startTask(e, 'fix add, take notes, then check');
    await waitEvent(e, taskId, 'command_started', (ev) => ev.command === SLOW, 90_000);
    const dead = (await e.store.getTask(taskId))!;
    const docker = new Docker();
    // Its sandboxes: those it made (codex.worker), and a warm one of its pool it claimed for the task.
    const deadContainers = async () => [
      ...(await docker.listContainers({ all: true, filters: { label: [`codex.worker=${first.id}`] } })),
      ...(await docker.listContainers({ all: true, filters: { label: [`codex.pool-owner=${first.id}`], name: [`-${taskId}-w`] } })),
    ];
    expect(await deadContainers()).not.toHaveLength(0);

    await killWorker(first);
    const second = await startWorkerProcess(env);
    workers.push(second);

    const task = await waitStatus(e, taskId, 'done', 150_000);
    expect(task.runId).not.toBe(dead.runId);
    const events = await e.store.readEvents(taskId);
    const resumedEvents = events.filter((ev) => ev.type === 'turn_resumed');
    expect(resumedEvents).toEqual([expect.objectContaining({ turn: 1, restoredStep: 2, restoredLabel: 'apply_patch notes/progress.txt', rerun: [SLOW] })]);
    expect(events.filter((ev) => ev.type === 'task_completed')).toHaveLength(1);

    // The command ran again on the restored files: its output, in the model's next request, shows both edits.
    const after = e.model.requests.find(resumed)!;
    const rerunOutput = outputs(after).at(-1)!;
    expect(rerunOutput).toContain('a + b');
    expect(rerunOutput).toContain('restored-from-checkpoint');
    expect(userMessages(after).at(-1)).toContain('restored as it was after step 2');

    // The thread says so, and ends with one summary.
    const thread = e.fake.thread(FAKE_IDS.channel, card.ts);
    expect(thread.filter((m) => shown(m).includes('Resumed after the worker stopped: restored the work tree from step 2'))).toHaveLength(1);
    expect(thread.find((m) => shown(m).includes('Resumed after'))!.text + shown(thread.find((m) => shown(m).includes('Resumed after'))!)).toContain('re-running the last command');
    expect(thread.filter((m) => m.metadata?.event_type === 'codex_task_summary')).toHaveLength(1);

    // The branch holds both edits in one commit; the checkpoints are gone with the turn.
    expect(e.mirrorGit('rev-list', '--count', `${git(e.upstream, 'rev-parse', 'main')}..${task.branch}`)).toBe('1');
    expect(e.mirrorGit('show', `${task.branch}:src/math.js`)).toContain('a + b');
    expect(e.mirrorGit('show', `${task.branch}:notes/progress.txt`)).toBe('restored-from-checkpoint');
    for (let i = 0; i < 100 && e.mirrorGit('for-each-ref', 'refs/codex/'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(e.mirrorGit('for-each-ref', 'refs/codex/')).toBe('');

    // Nothing of the dead worker's run is left on the engine.
    expect(await deadContainers()).toEqual([]);
    expect(await docker.listContainers({ all: true, filters: { label: [`codex.run-id=${dead.runId}`] } })).toEqual([]);
  });

  it('resumes on another host from the checkpoint pushed upstream, with pushBranches on', { timeout: 240_000 }, async () => {
    let step = 0;
    e = await startE2E({
      env: { CODEX_ROLE: 'app' },
      repo: { pushBranches: true },
      script: (req) => {
        if (resumed(req)) return reply(message('Fixed add on the other host.'));
        step += 1;
        if (step === 1) return reply(functionCall('apply_patch', { input: FIX_PATCH }), functionCall('apply_patch', { input: NOTES_PATCH }));
        return reply(functionCall('shell', { command: SLOW, timeout_ms: 60_000 }));
      },
    });
    const first = await startWorkerProcess(workerEnv(e, { LOCK_MS: '5000', STALLED_MS: '2000' }));
    workers.push(first);
    const { taskId } = await startTask(e, 'fix add, take notes, then check');
    await waitEvent(e, taskId, 'command_started', (ev) => ev.command === SLOW, 90_000);
    // The checkpoint of step 2 reached the upstream.
    const checkpointRef = `refs/codex/checkpoints/${taskId}`;
    const pushed = () => execFileSync('git', ['-c', 'safe.directory=*', 'for-each-ref', '--format=%(objectname)', checkpointRef], { cwd: e!.upstream, encoding: 'utf8' }).trim();
    for (let i = 0; i < 100 && !pushed(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(pushed()).not.toBe('');
    await killWorker(first);

    // Another host: its own data directory, so its own mirror, without the checkpoint or the branch.
    const otherHost = join(e.dataDir, '..', 'other-host');
    const second = await startWorkerProcess(workerEnv(e, { LOCK_MS: '5000', STALLED_MS: '2000', CODEX_DATA_DIR: otherHost }));
    workers.push(second);
    const task = await waitStatus(e, taskId, 'done', 150_000);
    const events = await e.store.readEvents(taskId);
    expect(events.filter((ev) => ev.type === 'turn_resumed')).toEqual([expect.objectContaining({ restoredStep: 2, rerun: [SLOW] })]);
    expect(outputs(e.model.requests.find(resumed)!).at(-1)).toContain('restored-from-checkpoint');
    // The branch was pushed from the other host with both edits; the pushed checkpoint is gone.
    expect(git(e.upstream, 'show', `${task.branch}:src/math.js`)).toContain('a + b');
    expect(git(e.upstream, 'show', `${task.branch}:notes/progress.txt`)).toBe('restored-from-checkpoint');
    // (dropped right after the turn's end is recorded)
    for (let i = 0; i < 100 && pushed(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(pushed()).toBe('');
  });
});
