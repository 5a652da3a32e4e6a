import { afterEach, describe, expect, it } from 'vitest';
import { ENGINE_RESTARTED_OUTPUT } from '../../src/runner/engine-watch.js';
import { functionCall, message, reply, type RecordedRequest } from '../fakes/model-server.js';
import { FAKE_IDS, FIX_PATCH, git, startE2E, type E2E } from '../helpers/e2e.js';
import { startPrivateDocker, type PrivateDocker } from '../helpers/private-docker.js';
import { startTask, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * The Docker engine restarted while a turn's command runs. The shared engine other tests use is
 * never touched: the worker is pointed (DOCKER_HOST) at a second dockerd of the test's own, with
 * the sandbox image loaded into it, and that engine is restarted as `systemctl restart docker`
 * does (SIGTERM, which stops every container, then a fresh start). The command the restart
 * killed is reported to the model as such, the sandbox comes back on the same files, the turn
 * goes on to one summary and a commit, and the engine is left with no container of the task.
 */

let e: E2E | undefined;
let engine: PrivateDocker | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
  await engine?.stop();
  engine = undefined;
});

const lastOutput = (req: RecordedRequest): string => ((req.body?.input ?? []) as Array<{ type?: string; output?: string }>).filter((i) => i.type === 'function_call_output').map((i) => String(i.output)).at(-1) ?? '';

describe('the Docker engine restarted mid-turn', () => {
  it('tells the model the command was stopped, brings the sandbox back on the same files, and finishes the turn', { timeout: 300_000 }, async () => {
    engine = await startPrivateDocker({ images: ['codex-sandbox:latest'] });
    let step = 0;
    e = await startE2E({
      env: { DOCKER_HOST: engine.host },
      script: () => {
        step += 1;
        if (step === 1) return reply(functionCall('apply_patch', { input: FIX_PATCH }));
        if (step === 2) return reply(functionCall('shell', { command: 'sleep 30', timeout_ms: 60_000 }));
        if (step === 3) return reply(functionCall('shell', { command: 'cat src/math.js', timeout_ms: 60_000 }));
        return reply(message('Fixed add; the sandbox came back after the engine restarted.'));
      },
    });
    const { taskId, card } = await startTask(e, 'fix add, then wait');
    await waitEvent(e, taskId, 'command_started', (ev) => ev.command === 'sleep 30', 120_000);
    await engine.restart();

    const task = await waitStatus(e, taskId, 'done', 200_000);
    // What the model was told of the command the restart stopped, and that the edit survived it.
    expect(e.model.requests.map(lastOutput).slice(1)).toEqual([expect.stringContaining('src/math.js'), expect.stringContaining(ENGINE_RESTARTED_OUTPUT.trim().slice(0, 80)), expect.stringContaining('a + b')]);
    const events = await e.store.readEvents(taskId);
    expect(events.filter((ev) => ev.type === 'task_completed')).toHaveLength(1);
    expect(e.fake.thread(FAKE_IDS.channel, card.ts).filter((m) => m.metadata?.event_type === 'codex_task_summary')).toHaveLength(1);
    expect(e.mirrorGit('rev-list', '--count', `${git(e.upstream, 'rev-parse', 'main')}..${task.branch}`)).toBe('1');
    expect(e.mirrorGit('show', `${task.branch}:src/math.js`)).toContain('a + b');
    // Nothing orphaned on the restarted engine.
    expect(await engine.docker.listContainers({ all: true, filters: { label: [`codex.task-id=${taskId}`] } })).toEqual([]);
  });
});
