import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply, type RecordedRequest } from '../fakes/model-server.js';
import { containersOf, FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { startNetworkServer } from '../helpers/network-server.js';
import { click, shown, startTask, waitApprovalPrompt, waitStatus } from '../helpers/thread.js';

/*
 * Network end to end: the sandbox has none; a command the model marks `with_network: true`
 * asks first (policy `network: true`) and, once approved, runs in a sibling container whose
 * only way out is the egress proxy, which reaches the repo's Docker network: a server the test
 * runs there (a private address) is reached because the repo's `networkAllow` names it. Only
 * that command.
 */

let e: E2E | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const ANSWER = 'hello-from-the-e2e-network';
const FETCH = 'curl -sS --max-time 5 http://netserver:8080/';

const exitCode = (req: RecordedRequest) => Number(/^Exit code: (-?\d+)/.exec(lastToolOutput(req))?.[1]);

describe('network for one approved command', () => {
  it('fails without network, asks for with_network, reaches the server on the repo network once approved, and only for that command', { timeout: 90_000 }, async () => {
    const server = await startNetworkServer(ANSWER);
    cleanups.push(() => server.remove());
    const { network } = server;
    e = await startE2E({
      repo: { network, networkAllow: ['netserver'], approval: { mode: 'never', network: true, timeoutMinutes: 1 } },
      script: [
        reply(functionCall('shell', { command: FETCH })),
        (req) => {
          if (exitCode(req) === 0 || lastToolOutput(req).includes(ANSWER)) throw new Error(`the sandbox reached the network: ${lastToolOutput(req)}`);
          return reply(functionCall('shell', { command: FETCH, with_network: true, justification: 'fetch the fixture from the test server' }));
        },
        (req) => {
          if (!lastToolOutput(req).includes(ANSWER)) throw new Error(`the approved command did not reach the server: ${lastToolOutput(req)}`);
          return reply(functionCall('shell', { command: FETCH }));
        },
        reply(message('Fetched it once, with approval.')),
      ],
    });
    const { taskId, card } = await startTask(e, 'fetch the fixture');

    const prompt = await waitApprovalPrompt(e, FAKE_IDS.channel, card.ts, 0, 30_000);
    expect(shown(prompt)).toContain('use the network');
    expect(shown(prompt)).toContain('fetch the fixture from the test server');
    // Nothing ran with network before the approval.
    expect(e.model.requests).toHaveLength(2);
    await click(e, prompt, 'codex_approve', FAKE_IDS.owner);
    await waitStatus(e, taskId, 'done', 60_000);

    const [, second, third, fourth] = e.model.requests;
    expect(exitCode(second!)).not.toBe(0);
    expect(lastToolOutput(second!)).toMatch(/Could not resolve host|Couldn't resolve/);
    expect(exitCode(third!)).toBe(0);
    expect(lastToolOutput(third!)).toContain(ANSWER);
    // The approval was for that command only: the next one is back to no network.
    expect(exitCode(fourth!)).not.toBe(0);
    expect(lastToolOutput(fourth!)).not.toContain(ANSWER);
    // The network sibling is gone with the sandbox.
    expect(await containersOf(taskId)).toEqual([]);
  });
});
