import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply, webSearch } from '../fakes/model-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { shown, startTask, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * Config `tools.webSearch`: every request offers the Responses API's hosted web_search tool,
 * and a search the model runs is shown in the thread like a command.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel } = FAKE_IDS;
const offersWebSearch = (body: { tools?: Array<{ type: string }> }) => (body.tools ?? []).some((t) => t.type === 'web_search');

describe('web search', () => {
  it('offers web_search in every request when configured, and shows each search in the thread beside the commands', { timeout: 90_000 }, async () => {
    e = await startE2E({
      repoConfig: { tools: { webSearch: true } },
      script: [
        reply(message('Checking the docs first.'), webSearch('node test runner only flag'), functionCall('shell', { command: 'echo looked' })),
        reply(message('The flag is --test-only; nothing to change.')),
      ],
    });
    const { taskId, card } = await startTask(e, 'find out how to run one node test');
    await waitStatus(e, taskId, 'done', 60_000);

    expect(e.model.requests).toHaveLength(2);
    for (const r of e.model.requests) expect(offersWebSearch(r.body)).toBe(true);
    expect(e.model.requests[0]!.body.instructions).toContain('web_search');
    // The search item goes back to the model verbatim, as the API expects.
    expect(e.model.requests[1]!.body.input).toContainEqual(expect.objectContaining({ type: 'web_search_call', action: expect.objectContaining({ query: 'node test runner only flag' }) }));

    const ev = await waitEvent(e, taskId, 'web_search');
    expect(ev).toMatchObject({ action: 'search', detail: 'node test runner only flag', ok: true });
    // The thread lists the search with the command it ran in the same step.
    const log = await e.fake.waitFor(() => e!.fake.thread(channel, card.ts).map(shown).find((t) => t.includes('searched the web for')), 20_000);
    expect(log).toContain('node test runner only flag');
    expect(log).toContain('echo looked');
  });

  it('does not offer web_search by default', { timeout: 60_000 }, async () => {
    e = await startE2E({ script: [reply(message('Nothing to search.'))] });
    const { taskId } = await startTask(e, 'say hello');
    await waitStatus(e, taskId, 'done', 40_000);
    expect(offersWebSearch(e.model.requests[0]!.body)).toBe(false);
    expect(e.config.file.tools.webSearch).toBe(false);
  });
});
