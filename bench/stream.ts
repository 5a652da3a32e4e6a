import { functionCall, message, reply } from '../tests/fakes/model-server.js';
import { startE2E } from '../tests/helpers/e2e.js';
import { startTask, waitEvent, waitStatus } from '../tests/helpers/thread.js';
import { median } from './stats.js';

/*
 * From a command's start (its `command_started` event, stamped by the worker) to what a person
 * sees of it: the first streamed line naming it (a chat.startStream / appendStream carrying its
 * `task_update`, as the fake Slack received it) beside the first card update after it (the
 * status card's chat.update showing the running command), both in the same task of the same
 * run. The whole product runs here (fake Slack, scripted model, real Redis, Docker and git),
 * with slack.streaming `auto`; each run is one task running one command.
 */

export interface StreamLatencyResult {
  streamMs: number;
  cardMs: number;
  runs: number;
}

export async function benchStream(runs: number): Promise<StreamLatencyResult> {
  const script = Array.from({ length: runs + 1 }, (_, i) => [reply(functionCall('shell', { command: `sleep 2; echo bench-${i}` })), reply(message(`Ran bench-${i}.`))]).flat();
  const e = await startE2E({ script, repoConfig: { slack: { streaming: 'auto' } } });
  const stream: number[] = [];
  const card: number[] = [];
  try {
    // One warm-up (mirror clone, first container), then the measured runs.
    for (let i = 0; i <= runs; i++) {
      const { taskId, card: root } = await startTask(e, `bench stream ${i}`);
      const started = await waitEvent(e, taskId, 'command_started', () => true, 120_000);
      const at = Date.parse(started.at);
      const streamed = await e.fake.waitFor(
        () => e.fake.calls.find((c) => (c.method === 'chat.startStream' || c.method === 'chat.appendStream') && c.status === 200 && c.response.ok === true && JSON.stringify(c.args.chunks ?? []).includes(started.callId)),
        60_000,
      );
      const updated = await e.fake.waitFor(() => e.fake.calls.find((c) => c.method === 'chat.update' && c.args.ts === root.ts && c.at >= at && JSON.stringify(c.args.blocks ?? '').includes(`bench-${i}`)), 60_000);
      await waitStatus(e, taskId, 'done', 120_000);
      if (i === 0) continue;
      stream.push(streamed.at - at);
      card.push(updated.at - at);
    }
  } finally {
    await e.cleanup();
  }
  return { streamMs: median(stream), cardMs: median(card), runs };
}
