import { afterEach, describe, expect, it } from 'vitest';
import { message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { startTask, waitStatus } from '../helpers/thread.js';

/* The App Home tab lists the person's recent tasks. */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

describe('App Home', () => {
  it("publishes the person's recent tasks when they open the Home tab", { timeout: 60_000 }, async () => {
    e = await startE2E({ script: [reply(message('Nothing to change.'))] });
    const { taskId } = await startTask(e, 'look at the billing client');
    await waitStatus(e, taskId, 'done');
    const res = await e.sender.event({ type: 'app_home_opened', user: FAKE_IDS.owner, channel: 'D0FAKEDM01', tab: 'home' });
    expect(res.status).toBe(200);
    const view = await e.fake.waitFor(() => e!.fake.homeView(FAKE_IDS.owner), 10_000);
    const text = JSON.stringify(view);
    expect(text).toContain(taskId);
    expect(text).toContain('look at the billing client');
    expect(text).toContain('/codex task');
    // Someone else's Home does not list it.
    await e.sender.event({ type: 'app_home_opened', user: FAKE_IDS.other, channel: 'D0FAKEDM02', tab: 'home' });
    const other = await e.fake.waitFor(() => e!.fake.homeView(FAKE_IDS.other), 10_000);
    expect(JSON.stringify(other)).not.toContain(taskId);
  });
});
