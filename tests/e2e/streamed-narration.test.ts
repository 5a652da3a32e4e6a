import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply } from '../fakes/model-server.js';
import type { FakeMessage } from '../fakes/slack-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { startTask, waitStatus } from '../helpers/thread.js';

/*
 * Streamed narration (config slack.streaming): while a turn works, its narration, commands and
 * plan stream into the thread (chat.startStream / appendStream / stopStream); a stream is
 * replaced before it is slack.streamMaxSeconds old; a workspace without streaming, and
 * `streaming: "off"`, get the same content as ordinary thread messages.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, owner } = FAKE_IDS;

const SCRIPT = [
  reply(message('Looking at the tests first.'), functionCall('update_plan', { plan: [{ step: 'Run the tests', status: 'in_progress' }, { step: 'Fix add', status: 'pending' }] }), functionCall('shell', { command: 'echo checking && exit 3' })),
  reply(functionCall('shell', { command: 'echo all-good' })),
  reply(message('All done here.')),
];

const summaryOf = (thread: FakeMessage[]) => thread.find((m) => m.metadata?.event_type === 'codex_task_summary');
const kinds = (thread: FakeMessage[]) => thread.map((m) => m.metadata?.event_type.replace('codex_task_', ''));

async function finished(e: E2E, prompt: string): Promise<{ thread: FakeMessage[]; cardTs: string }> {
  const { taskId, card } = await startTask(e, prompt);
  await waitStatus(e, taskId, 'done', 60_000);
  const thread = await e.fake.waitFor(() => {
    const t = e.fake.thread(channel, card.ts);
    return summaryOf(t) && t;
  }, 10_000);
  return { thread, cardTs: card.ts };
}

describe('streamed narration', () => {
  it('streams the narration, the plan and each command (in progress, then complete or error with its exit code and output) to the owner', { timeout: 90_000 }, async () => {
    e = await startE2E({ script: SCRIPT, repoConfig: { slack: { streaming: 'auto' } } });
    const { thread, cardTs } = await finished(e, 'fix it');
    const streams = e.fake.streams(channel, cardTs);
    expect(streams.length).toBeGreaterThanOrEqual(1);
    for (const s of streams) expect(s).toMatchObject({ stopped: true, expired: false, recipient: { user: owner, team: FAKE_IDS.team } });
    const chunks = streams.flatMap((s) => s.chunks);
    expect(chunks.filter((c) => c.type === 'markdown_text').map((c) => c.text).join('')).toContain('Looking at the tests first.');
    expect(chunks).toContainEqual({ type: 'plan_update', title: 'Plan' });
    expect(chunks).toContainEqual(expect.objectContaining({ type: 'task_update', title: 'Run the tests', status: 'in_progress' }));
    const updates = chunks.filter((c) => c.type === 'task_update' && String(c.title).startsWith('echo '));
    expect(updates.map((c) => c.status)).toEqual(['in_progress', 'error', 'in_progress', 'complete']);
    expect(updates[1]).toMatchObject({ title: 'echo checking && exit 3', details: expect.stringMatching(/^exit 3/), output: 'checking' });
    expect(updates[3]).toMatchObject({ details: expect.stringMatching(/^exit 0/), output: 'all-good' });
    // The stream carried them: no narration or command log as ordinary messages; the summary is one.
    expect(kinds(thread)).not.toContain('narration');
    expect(kinds(thread)).not.toContain('commands');
    expect(thread.filter((m) => m.metadata?.event_type === 'codex_task_summary')).toHaveLength(1);
    expect(summaryOf(thread)!.text + JSON.stringify(summaryOf(thread)!.blocks)).toContain('All done here.');
    // Streams come before the summary in the thread.
    expect(Number(streams.at(-1)!.ts)).toBeLessThan(Number(summaryOf(thread)!.ts));
    // Nothing was ever appended to a dead stream.
    expect(e.fake.calls.filter((c) => c.response.error === 'message_not_in_streaming_state')).toEqual([]);
  });

  it('rotates to a new stream before one is slack.streamMaxSeconds old, never appending to a dead one', { timeout: 120_000 }, async () => {
    e = await startE2E({
      script: [
        reply(message('Starting.'), functionCall('shell', { command: 'sleep 2; echo one' })),
        reply(functionCall('shell', { command: 'sleep 2; echo two' })),
        reply(functionCall('shell', { command: 'sleep 2; echo three' })),
        reply(message('Finished.')),
      ],
      repoConfig: { slack: { streaming: 'auto', streamMaxSeconds: 1 } },
    });
    // Slack would end a stream after 1.5 s here; the app must have moved on before.
    e.fake.setStreamLifetime(1_500);
    const { cardTs } = await finished(e, 'slow work');
    const streams = e.fake.streams(channel, cardTs);
    expect(streams.length).toBeGreaterThanOrEqual(2);
    const updates = streams.flatMap((s) => s.chunks).filter((c) => c.type === 'task_update');
    expect(updates.filter((c) => c.status === 'complete').map((c) => c.output)).toEqual(['one', 'two', 'three']);
    expect(e.fake.calls.filter((c) => c.method === 'chat.appendStream' && c.response.error === 'message_not_in_streaming_state')).toEqual([]);
  });

  it('falls back to ordinary thread messages with the same content in a workspace without streaming', { timeout: 90_000 }, async () => {
    e = await startE2E({ script: SCRIPT, repoConfig: { slack: { streaming: 'auto' } } });
    e.fake.disableStreaming();
    const { thread, cardTs } = await finished(e, 'fix it');
    expect(e.fake.callsTo('chat.startStream').length).toBeGreaterThanOrEqual(1);
    expect(e.fake.streams(channel, cardTs)).toEqual([]);
    const narration = thread.filter((m) => kinds([m])[0] === 'narration');
    expect(narration.map((m) => m.text + JSON.stringify(m.blocks))).toEqual([expect.stringContaining('Looking at the tests first.')]);
    const logs = thread.filter((m) => kinds([m])[0] === 'commands').map((m) => JSON.stringify(m.blocks));
    // Each command in exactly one command log: nothing lost, nothing twice.
    expect(logs.filter((l) => l.includes('echo checking'))).toHaveLength(1);
    expect(logs.filter((l) => l.includes('echo all-good'))).toHaveLength(1);
  });

  it('posts ordinary messages only with slack.streaming "off"', { timeout: 90_000 }, async () => {
    e = await startE2E({ script: SCRIPT, repoConfig: { slack: { streaming: 'off' } } });
    const { thread } = await finished(e, 'fix it');
    expect(e.fake.calls.filter((c) => c.method.endsWith('Stream'))).toEqual([]);
    expect(kinds(thread)).toContain('narration');
    expect(kinds(thread)).toContain('commands');
  });
});
