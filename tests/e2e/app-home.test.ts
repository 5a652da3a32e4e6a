import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, slash, startE2E, type E2E } from '../helpers/e2e.js';
import { scriptByPrompt, startTask, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * The App Home as the fleet's command center: the viewer's running and queued tasks with Stop
 * and Cancel, recent tasks, automations with their buttons, defaults; refreshed as tasks move.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { owner, other } = FAKE_IDS;
const homeText = (e: E2E, user: string) => JSON.stringify(e.fake.homeView(user) ?? {});
type Block = { type: string; block_id?: string; elements?: Array<{ action_id?: string; value?: string }> };
const homeBlocks = (e: E2E, user: string) => ((e.fake.homeView(user) as { blocks?: Block[] } | undefined)?.blocks ?? []);

describe('App Home', () => {
  it("lists the person's tasks, keeps them fresh as they move, and is theirs alone", { timeout: 90_000 }, async () => {
    e = await startE2E({
      script: scriptByPrompt({
        'look at the billing client': () => reply(message('Nothing to change.')),
        'a slow one': (_req, n) => (n === 0 ? reply(functionCall('shell', { command: 'sleep 8' })) : reply(message('Slept.'))),
      }),
    });
    const { taskId } = await startTask(e, 'look at the billing client');
    await waitStatus(e, taskId, 'done');
    await e.sender.event({ type: 'app_home_opened', user: owner, channel: 'D0FAKEDM01', tab: 'home' });
    await e.fake.waitFor(() => homeText(e!, owner).includes(taskId), 10_000);
    expect(homeText(e, owner)).toContain('look at the billing client');
    expect(homeText(e, owner)).toContain('/codex task');
    expect(homeText(e, owner)).toContain('Your defaults');

    // A new task shows up as running, with Stop and Cancel, without reopening the tab.
    const slow = await startTask(e, 'a slow one');
    await waitEvent(e, slow.taskId, 'command_started');
    await e.fake.waitFor(() => homeBlocks(e!, owner).some((b) => b.block_id === `home_task_${slow.taskId}` && (b.elements ?? []).some((x) => x.action_id === 'codex_stop')), 15_000);
    // Its Stop button works from the Home.
    const row = homeBlocks(e, owner).find((b) => b.block_id === `home_task_${slow.taskId}`)!;
    const stop = row.elements!.find((x) => x.action_id === 'codex_stop')!;
    await e.sender.blockAction({ actionId: 'codex_stop', value: stop.value, messageTs: '1.0', userId: owner });
    await waitEvent(e, slow.taskId, 'task_interrupted', () => true, 20_000);

    // Someone else's Home does not list either.
    await e.sender.event({ type: 'app_home_opened', user: other, channel: 'D0FAKEDM02', tab: 'home' });
    await e.fake.waitFor(() => e!.fake.homeView(other), 10_000);
    expect(homeText(e, other)).not.toContain(taskId);
    expect(homeText(e, other)).not.toContain(slow.taskId);
  });

  it("shows the person's automations with Pause, Run now and Delete that work", { timeout: 60_000 }, async () => {
    e = await startE2E({ script: () => reply(message('Triaged.')) });
    const ack = await slash(e, 'schedule "0 9 * * 1-5" triage the open issues');
    const id = /automation `([a-z0-9]{8})`/.exec(ack.body)![1]!;
    await e.sender.event({ type: 'app_home_opened', user: owner, channel: 'D0FAKEDM01', tab: 'home' });
    await e.fake.waitFor(() => homeBlocks(e!, owner).some((b) => b.block_id === `home_auto_${id}`), 10_000);
    const press = async (actionId: string) => {
      const row = homeBlocks(e!, owner).find((b) => b.block_id === `home_auto_${id}`)!;
      const btn = row.elements!.find((x) => x.action_id === actionId)!;
      await e!.sender.blockAction({ actionId, value: btn.value, messageTs: '1.0', userId: owner });
    };
    await press('codex_auto_pause');
    await e.fake.waitFor(async () => (await e!.store.redis.get(`${e!.prefix}:automation:${id}`))?.includes('"paused":true'), 10_000);
    await e.fake.waitFor(() => homeBlocks(e!, owner).find((b) => b.block_id === `home_auto_${id}`)?.elements?.some((x) => x.action_id === 'codex_auto_resume'), 10_000);
    // Run now starts a task of it at once, paused or not.
    await press('codex_auto_run');
    const card = await e.fake.waitFor(() => e!.fake.messages(FAKE_IDS.channel).find((m) => m.metadata?.event_type === 'codex_task_status'), 10_000);
    await waitStatus(e, card.metadata!.event_payload.task_id as string, 'done', 30_000);
    await press('codex_auto_delete');
    await e.fake.waitFor(async () => (await e!.store.redis.exists(`${e!.prefix}:automation:${id}`)) === 0, 10_000);
  });
});
