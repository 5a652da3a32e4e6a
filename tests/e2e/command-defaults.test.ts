import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { ackMessage, sendCommand, visibleText } from '../helpers/slack-checks.js';
import type { TaskRecord } from '../../src/tasks/task-record.js';

/*
 * Defaults of a new task: the flag, then the person's own (`/codex defaults`, in Redis), then
 * the channel's (config `channels[id]`), then the installation's (CODEX_MODEL, no personality,
 * the only repo). The app runs alone (CODEX_ROLE=app): tasks stay queued, and their records say
 * what they were created with.
 */

let e: E2E;

beforeAll(async () => {
  e = await startE2E({
    script: [],
    env: { CODEX_ROLE: 'app' },
    repoConfig: {
      repos: [
        { name: 'calc', url: '/srv/git/calc' },
        { name: 'web', url: '/srv/git/web' },
      ],
      models: ['test-model', 'channel-model', 'own-model'],
      personalities: { pirate: 'Talk like a pirate.' },
      channels: { [FAKE_IDS.channel]: { defaultRepo: 'calc', model: 'channel-model', personality: 'pragmatic' } },
    },
  });
});
afterAll(async () => {
  await e?.cleanup();
});

/** Starts a task and returns its record. */
async function taskOf(text: string, fields: { user_id?: string; channel_id?: string } = {}): Promise<TaskRecord> {
  const channel = fields.channel_id ?? FAKE_IDS.channel;
  const before = new Set(e.fake.messages(channel).map((m) => m.ts));
  const ack = await sendCommand(e, `task ${text}`, fields);
  expect(ack.body).toBe('');
  const card = await e.fake.waitFor(() => e.fake.messages(channel).find((m) => !before.has(m.ts) && m.metadata?.event_type === 'codex_task_status'), 10_000);
  return (await e.store.getTask(card.metadata!.event_payload.task_id as string))!;
}

const pick = (t: TaskRecord) => ({ repo: t.repo, model: t.model, personality: t.personality });

describe('defaults per person and channel', () => {
  it('shows what a new task here uses and where each value comes from', async () => {
    const here = visibleText(ackMessage(await sendCommand(e, 'defaults')));
    expect(here).toContain("*Repo:* `calc` (this channel's default)");
    expect(here).toContain("*Model:* `channel-model` (this channel's default)");
    expect(here).toContain("*Personality:* `pragmatic` (this channel's default)");
    const elsewhere = ackMessage(await sendCommand(e, 'defaults', { channel_id: FAKE_IDS.otherChannel }));
    expect(elsewhere.response_type).toBe('ephemeral');
    expect(visibleText(elsewhere)).toContain("*Model:* `test-model` (the installation's default)");
    expect(visibleText(elsewhere)).toContain('*Repo:* none');
  });

  it('the channel beats the installation, the person beats the channel, a flag beats the person', async () => {
    expect(pick(await taskOf('channel defaults apply'))).toEqual({ repo: 'calc', model: 'channel-model', personality: 'pragmatic' });

    const set = ackMessage(await sendCommand(e, 'defaults --repo web --model own-model --personality Pirate'));
    expect(set.response_type).toBe('ephemeral');
    expect(visibleText(set)).toContain('Saved your default repo, model, personality');
    expect(visibleText(set)).toContain('*Model:* `own-model` (your default)');

    expect(pick(await taskOf('my defaults apply'))).toEqual({ repo: 'web', model: 'own-model', personality: 'pirate' });
    expect(pick(await taskOf('my defaults apply elsewhere too', { channel_id: FAKE_IDS.otherChannel }))).toEqual({ repo: 'web', model: 'own-model', personality: 'pirate' });
    expect(pick(await taskOf('--repo calc --model test-model --personality friendly flags win'))).toEqual({ repo: 'calc', model: 'test-model', personality: 'friendly' });
    // Another person still gets the channel's.
    expect(pick(await taskOf('not my defaults', { user_id: FAKE_IDS.other }))).toEqual({ repo: 'calc', model: 'channel-model', personality: 'pragmatic' });

    // Setting one field keeps the others.
    await sendCommand(e, 'defaults --personality friendly');
    expect(pick(await taskOf('one field changed'))).toEqual({ repo: 'web', model: 'own-model', personality: 'friendly' });

    const reset = ackMessage(await sendCommand(e, 'defaults reset'));
    expect(visibleText(reset)).toContain('Your defaults are forgotten');
    expect(pick(await taskOf('after the reset'))).toEqual({ repo: 'calc', model: 'channel-model', personality: 'pragmatic' });
    expect(pick(await taskOf('--repo calc installation defaults', { channel_id: FAKE_IDS.otherChannel }))).toEqual({ repo: 'calc', model: 'test-model', personality: undefined });
  });

  it('refuses unknown names in the ack, naming the allowed ones, and saves nothing', async () => {
    const model = ackMessage(await sendCommand(e, 'defaults --model gpt-9'));
    expect(model.response_type).toBe('ephemeral');
    expect(model.text).toContain('`gpt-9` is not a model');
    expect(model.text).toContain('`own-model`');
    const repo = ackMessage(await sendCommand(e, 'defaults --repo billing --model own-model'));
    expect(repo.text).toContain('There is no repo called `billing`');
    expect(await e.redis.hgetall(`${e.prefix}:prefs:${FAKE_IDS.owner}`)).toEqual({});
  });
});
