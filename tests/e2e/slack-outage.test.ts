import { afterEach, describe, expect, it } from 'vitest';
import { replayTask } from '../../src/render/task-view.js';
import { functionCall, message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, FIX_PATCH, startE2E, type E2E } from '../helpers/e2e.js';
import { startTask, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * Slack answers 5xx for a while during a task: first posts land but their answers are lost,
 * then nothing lands. Every message the thread should hold is there once, in order, once Slack
 * is back.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel } = FAKE_IDS;

describe('Slack failing with 5xx', () => {
  it('loses and repeats nothing the thread should show', { timeout: 180_000 }, async () => {
    e = await startE2E({
      script: [
        reply(message('Looking at the failing test first.'), functionCall('shell', { command: 'npm test 2>&1 | tail -5' })),
        { ...reply(message('Now the fix.'), functionCall('apply_patch', { input: FIX_PATCH })), delayMs: 1_500 },
        { ...reply(functionCall('shell', { command: 'npm test 2>&1 | tail -5' })), delayMs: 1_500 },
        reply(message('Fixed `add`; the tests pass.')),
      ],
    });
    const { taskId, card } = await startTask(e, 'fix the add function');
    await waitEvent(e, taskId, 'task_started');
    // Posts land but their answers are lost for 3 s, then Slack refuses everything for 5 s more.
    e.fake.serverError('chat.postMessage', { forMs: 3_000, afterHandling: true });
    e.fake.serverError('*', { forMs: 8_000 });
    await waitStatus(e, taskId, 'done', 120_000);
    const failed = e.fake.callsTo('chat.postMessage').filter((c) => c.status >= 500);
    expect(failed.length).toBeGreaterThan(0);

    const { outputs } = replayTask(taskId, await e.store.readEvents(taskId));
    const expected = outputs.flatMap((o) => (o.type === 'post' || o.type === 'summary' ? [o] : []));
    const posted = () => e!.fake.thread(channel, card.ts).filter((m) => m.ts !== card.ts && m.metadata?.event_type?.startsWith('codex_task_'));
    await e.fake.waitFor(() => posted().length >= expected.length, 60_000);
    const seqs = posted().map((m) => (m.metadata!.event_payload as { seq?: number }).seq);
    expect(seqs).toEqual(expected.map((o) => o.seq));
    expect(posted().map((m) => m.metadata!.event_type)).toContain('codex_task_summary');
  });
});
