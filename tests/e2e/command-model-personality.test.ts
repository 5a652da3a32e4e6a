import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionCall, message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { ackMessage, sendCommand, taskKeys } from '../helpers/slack-checks.js';
import { requestsOf, scriptByPrompt, startTask, waitShows, waitStatus } from '../helpers/thread.js';
import { BUILTIN_PERSONALITY_TEXT } from '../../src/agent/prompts.js';

/*
 * `--model` and `--personality` on `/codex task`, end to end: the Responses request asks for
 * the chosen model, the card shows the model that actually answered (and says so when it is
 * not the one asked for), and the personality's text is in the instructions, byte-identical in
 * every request of the task. Unknown names are refused in the ack, naming the allowed ones.
 */

const PIRATE = 'Write every narration like a ship captain would, and end the summary with "Arr".';

let e: E2E;

/** Two model calls per task: a command, then the summary. */
const twoSteps = (summary: string) => (_req: unknown, n: number) => (n === 0 ? reply(functionCall('shell', { command: 'cat package.json' })) : reply(message(summary)));

beforeAll(async () => {
  e = await startE2E({
    script: scriptByPrompt({
      'use the big model': twoSteps('Done with the big model.'),
      'plain default task': twoSteps('Done with the default.'),
      'pirate voice task': twoSteps('Done, arr.'),
    }),
    repoConfig: { models: ['test-model', 'big-model'], personalities: { pirate: PIRATE } },
  });
  // The service answers requests for `big-model` with another model (a silent downgrade).
  e.model.servedAs.set('big-model', 'small-model');
});
afterAll(async () => {
  await e?.cleanup();
});

describe('--model and --personality', () => {
  it('refuses an unknown model or personality in the ack, naming the allowed ones, and creates nothing', async () => {
    const model = ackMessage(await sendCommand(e, 'task --model gpt-9 fix the add function'));
    expect(model.response_type).toBe('ephemeral');
    expect(model.text).toContain('`gpt-9` is not a model');
    expect(model.text).toContain('`test-model`');
    expect(model.text).toContain('`big-model`');
    const personality = ackMessage(await sendCommand(e, 'plan --personality grumpy fix the add function'));
    expect(personality.response_type).toBe('ephemeral');
    expect(personality.text).toContain('no personality called `grumpy`');
    for (const name of ['pragmatic', 'friendly', 'pirate']) expect(personality.text).toContain(`\`${name}\``);
    expect(e.fake.callsTo('chat.postMessage')).toEqual([]);
    expect(await taskKeys(e.redis, e.prefix)).toEqual([]);
  });

  it('asks for the chosen model, and the card says when another one answered', { timeout: 120_000 }, async () => {
    const { taskId, card } = await startTask(e, '--model big-model --personality friendly use the big model');
    await waitStatus(e, taskId, 'done');
    expect((await e.store.getTask(taskId))?.model).toBe('big-model');
    const requests = requestsOf(e, 'use the big model');
    expect(requests.length).toBe(2);
    for (const r of requests) expect(r.body.model).toBe('big-model');
    const shown = await waitShows(e, FAKE_IDS.channel, card.ts, 'Done');
    expect(shown).toContain('Answered by `small-model`');
    expect(shown).toContain('not `big-model` as asked');
    // The personality's text is in the instructions, the same bytes in every request.
    expect(requests[0]!.body.instructions).toContain(BUILTIN_PERSONALITY_TEXT.friendly);
    expect(requests[1]!.body.instructions).toBe(requests[0]!.body.instructions);
  });

  it('without flags uses CODEX_MODEL, no personality, and a card without a warning', { timeout: 120_000 }, async () => {
    const { taskId, card } = await startTask(e, 'plain default task');
    await waitStatus(e, taskId, 'done');
    const requests = requestsOf(e, 'plain default task');
    for (const r of requests) expect(r.body.model).toBe('test-model');
    expect(requests[0]!.body.instructions).not.toContain('# Personality');
    const shown = await waitShows(e, FAKE_IDS.channel, card.ts, 'Done');
    expect(shown).toContain('test-model');
    expect(shown).not.toContain('Answered by');
  });

  it('a configured personality puts its own text in the instructions of every request', { timeout: 120_000 }, async () => {
    const { taskId } = await startTask(e, '--personality pirate pirate voice task');
    await waitStatus(e, taskId, 'done');
    expect((await e.store.getTask(taskId))?.personality).toBe('pirate');
    const requests = requestsOf(e, 'pirate voice task');
    expect(requests.length).toBe(2);
    expect(requests[0]!.body.instructions).toContain(PIRATE);
    expect(requests[0]!.body.instructions).not.toContain(BUILTIN_PERSONALITY_TEXT.friendly);
    expect(requests[1]!.body.instructions).toBe(requests[0]!.body.instructions);
  });
});
