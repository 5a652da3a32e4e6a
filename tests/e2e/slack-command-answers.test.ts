import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { ackMessage, sendCommand, taskKeys, visibleText } from '../helpers/slack-checks.js';

/*
 * `/codex` input that must never reach the worker: help, unknown subcommands, a missing
 * prompt, an unknown --repo, and a channel or user the config does not allow. Each is answered
 * in the acknowledgement itself, as an ephemeral message that passes Slack's Block Kit limits,
 * and creates nothing: no message in the channel, no task record. The app runs alone
 * (CODEX_ROLE=app), so a task that slipped through would stay queued and visible in Redis.
 */

let e: E2E;

beforeAll(async () => {
  e = await startE2E({
    script: [],
    env: { CODEX_ROLE: 'app' },
    // Tasks on calc only in the second channel, and only by the owner.
    repo: { access: { channels: [FAKE_IDS.otherChannel], users: [FAKE_IDS.owner] } },
  });
});
afterAll(async () => {
  await e?.cleanup();
});

async function expectNothingCreated(): Promise<void> {
  expect(e.fake.callsTo('chat.postMessage')).toEqual([]);
  expect(e.fake.responses()).toEqual([]);
  expect(await taskKeys(e.redis, e.prefix)).toEqual([]);
}

describe('/codex answers in the acknowledgement', () => {
  it('help, and the bare command, answer with usage and the configured repos', async () => {
    for (const text of ['help', '', '--help']) {
      const ack = ackMessage(await sendCommand(e, text, { channel_id: FAKE_IDS.otherChannel }));
      expect(ack.response_type).toBe('ephemeral');
      const shown = visibleText(ack);
      expect(shown).toContain('/codex task [--repo NAME] [--branch BRANCH]');
      expect(shown).toContain('/codex status');
      expect(shown).toContain('/codex cancel');
      expect(shown).toContain('Repos: `calc`');
    }
    await expectNothingCreated();
  });

  it('an unknown subcommand gets an ephemeral error that points to task and help', async () => {
    const ack = ackMessage(await sendCommand(e, 'deploy the billing service', { channel_id: FAKE_IDS.otherChannel }));
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toContain('`deploy` is not a /codex command');
    expect(ack.text).toContain('/codex task deploy the billing service');
    expect(ack.text).toContain('/codex help');
    await expectNothingCreated();
  });

  it('task with an unknown --repo names the repos there are', async () => {
    const ack = ackMessage(await sendCommand(e, 'task --repo billing fix the flaky test', { channel_id: FAKE_IDS.otherChannel }));
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toContain('There is no repo called `billing`');
    expect(ack.text).toContain('`calc`');
    await expectNothingCreated();
  });

  it('task without a prompt, or with a flag missing its value, says how to write it', async () => {
    const noPrompt = ackMessage(await sendCommand(e, 'task', { channel_id: FAKE_IDS.otherChannel }));
    expect(noPrompt.response_type).toBe('ephemeral');
    expect(noPrompt.text).toContain('Say what the task is after `task`');
    const noValue = ackMessage(await sendCommand(e, 'task --repo', { channel_id: FAKE_IDS.otherChannel }));
    expect(noValue.text).toContain('`--repo` needs a value');
    const badBranch = ackMessage(await sendCommand(e, 'task --branch ..evil fix it', { channel_id: FAKE_IDS.otherChannel }));
    expect(badBranch.text).toContain('is not a valid branch name');
    await expectNothingCreated();
  });

  it('a task in a channel the config does not allow, or by a user it does not list, is refused', async () => {
    const channel = ackMessage(await sendCommand(e, 'task fix the add function'));
    expect(channel.response_type).toBe('ephemeral');
    expect(channel.text).toContain('Tasks cannot be started in this channel');
    const user = ackMessage(await sendCommand(e, 'task fix the add function', { channel_id: FAKE_IDS.otherChannel, user_id: FAKE_IDS.other }));
    expect(user.response_type).toBe('ephemeral');
    expect(user.text).toContain('You are not on the list of people who may start tasks');
    await expectNothingCreated();
  });

  // The control for every "nothing created" above: the same command where it is allowed does
  // create a task and post its card, so the checks would have seen one.
  it('the same task by the owner in the allowed channel is created and its card posted', async () => {
    const ack = await sendCommand(e, 'task fix the add function', { channel_id: FAKE_IDS.otherChannel });
    expect(ack.status).toBe(200);
    expect(ack.body).toBe('');
    const root = await e.fake.waitFor(() => e.fake.messages(FAKE_IDS.otherChannel).find((m) => m.metadata?.event_type === 'codex_task_status'));
    const taskId = root.metadata!.event_payload.task_id as string;
    expect(await taskKeys(e.redis, e.prefix)).toContain(`${e.prefix}:task:${taskId}`);
    expect(e.fake.messages(FAKE_IDS.channel)).toEqual([]);
  });
});
