import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_DEFAULT } from '../../src/blocks/home-controls.js';
import { Queue } from 'bullmq';
import { AUTOMATION_QUEUE, automationSchema, type Automation } from '../../src/tasks/automations.js';
import type { TaskRecord } from '../../src/tasks/task-record.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-server.js';
import { FAKE_IDS, slash, startE2E, type E2E } from '../helpers/e2e.js';
import { clickHome, homeBlocks, openHome, openScheduleModal, submitModal } from '../helpers/home.js';

/*
 * The App Home's controls end to end (fake Slack through the real clients, real Redis, real
 * BullMQ): "New automation" opens a modal (views.open with the click's trigger_id); its
 * submission is checked like `/codex schedule` and creates the automation through the same
 * code; the defaults menus save what `/codex task` then uses, and clear it again. The app runs
 * alone (CODEX_ROLE=app): tasks stay queued and their records say what they were created with.
 */

let e: E2E;
let github: FakeGitHub;
const { owner, channel, otherChannel } = FAKE_IDS;

beforeAll(async () => {
  github = await startFakeGitHub();
  e = await startE2E({
    script: [],
    env: { CODEX_ROLE: 'app', GITHUB_APP_ID: github.appId, GITHUB_APP_PRIVATE_KEY: github.privateKey, GITHUB_API_URL: github.url },
    repoConfig: {
      repos: [
        { name: 'calc', url: '/srv/git/calc' },
        { name: 'web', url: '/srv/git/web', github: 'acme/web' },
        { name: 'docs', url: '/srv/git/docs', access: { channels: [otherChannel] } },
      ],
      models: ['test-model', 'own-model'],
      personalities: { pirate: 'Talk like a pirate.' },
    },
  });
}, 60_000);
afterAll(async () => {
  await e?.cleanup();
  await github?.close();
});

async function automations(): Promise<Automation[]> {
  const ids = await e.redis.smembers(`${e.prefix}:automations`);
  const raw = await Promise.all(ids.map((id) => e.redis.get(`${e.prefix}:automation:${id}`)));
  return raw.filter((r): r is string => r !== null).map((r) => automationSchema.parse(JSON.parse(r)));
}

/** Starts a task with `/codex task` and returns its record. */
async function taskOf(text: string): Promise<TaskRecord> {
  const before = new Set(e.fake.messages(channel).map((m) => m.ts));
  const ack = await slash(e, `task ${text}`);
  expect(ack.body).toBe('');
  const card = await e.fake.waitFor(() => e.fake.messages(channel).find((m) => !before.has(m.ts) && m.metadata?.event_type === 'codex_task_status'), 15_000);
  return (await e.store.getTask(card.metadata!.event_payload.task_id as string))!;
}

/** The text of a slash command's ephemeral answer. */
const ackText = async (text: string) => (JSON.parse((await slash(e, text)).body) as { text: string }).text;

const valid = { cron: '0 9 * * 1-5', prompt: 'triage the open issues', repo: 'calc', channel };

describe('App Home: New automation', () => {
  it('opens a modal, and a valid submission creates the automation that Home and /codex schedules show', { timeout: 90_000 }, async () => {
    await openHome(e, owner);
    const modal = await openScheduleModal(e, owner);
    expect(modal.view.callback_id).toBe('codex_schedule_modal');
    const inputs = (modal.view.blocks as Array<{ type: string; block_id: string }>).filter((b) => b.type === 'input').map((b) => b.block_id);
    expect(inputs).toEqual(['cron', 'prompt', 'repo', 'channel', 'model', 'personality', 'pr']);
    expect(e.fake.callsTo('views.open').at(-1)!.response.ok).toBe(true);

    const answer = await submitModal(e, modal, { ...valid, model: 'own-model', personality: 'pirate' });
    expect(answer).toEqual({ action: 'close' });
    const [a] = await automations();
    expect(a).toMatchObject({ cron: '0 9 * * 1-5', prompt: 'triage the open issues', repo: 'calc', channel, owner, requested: { model: 'own-model', personality: 'pirate' }, paused: false });
    // A real BullMQ job scheduler runs it, as for /codex schedule.
    const queue = new Queue(AUTOMATION_QUEUE, { connection: { url: e.config.env.REDIS_URL }, prefix: `${e.prefix}-bull` });
    expect(await queue.getJobScheduler(a!.id)).toMatchObject({ pattern: '0 9 * * 1-5' });
    await queue.close();

    // The Home shows it, with its buttons, without reopening the tab.
    await e.fake.waitFor(() => homeBlocks(e, owner).some((b) => b.block_id === `home_auto_${a!.id}`), 15_000);
    expect((await slash(e, 'schedules')).body).toContain(`\`${a!.id}\``);
    // Where its runs land, the person is told what was scheduled.
    await e.fake.waitFor(() => e.fake.ephemerals.find((m) => m.channel === channel && m.user === owner && m.text.includes(a!.id)), 10_000);

    // Run now: the run asks for the model and personality chosen in the modal.
    await clickHome(e, owner, `home_auto_${a!.id}`, 'codex_auto_run');
    const card = await e.fake.waitFor(() => e.fake.messages(channel).find((m) => m.metadata?.event_type === 'codex_task_status' && JSON.stringify(m.blocks).includes(a!.id)), 15_000);
    const run = (await e.store.getTask(card.metadata!.event_payload.task_id as string))!;
    expect({ repo: run.repo, model: run.model, personality: run.personality, automation: run.automation?.id }).toEqual({ repo: 'calc', model: 'own-model', personality: 'pirate', automation: a!.id });
    await e.redis.del(`${e.prefix}:automation:${a!.id}`);
    await e.redis.srem(`${e.prefix}:automations`, a!.id);
  });

  it('refuses an invalid or too frequent cron line, an unknown repo, a channel or --pr the repo does not allow, as /codex schedule does, creating nothing', { timeout: 90_000 }, async () => {
    await openHome(e, owner);
    const before = (await automations()).length;
    const refuse = async (answers: Parameters<typeof submitModal>[2]) => {
      const modal = await openScheduleModal(e, owner);
      const answer = await submitModal(e, modal, answers);
      if (answer.action !== 'errors') throw new Error(`expected errors, got ${JSON.stringify(answer)}`);
      return answer.errors;
    };

    const invalid = await refuse({ ...valid, cron: 'every morning' });
    const reason = '"every morning" is not a cron line: it needs five fields (minute hour day-of-month month day-of-week)';
    expect(Object.keys(invalid)).toEqual(['cron']);
    expect(invalid.cron).toContain(reason);
    expect(invalid.cron).toContain('"0 9 * * 1-5" runs next at');
    // The next three runs of the example, each a weekday at 09:00.
    expect(invalid.cron!.match(/(Mon|Tue|Wed|Thu|Fri) \d{1,2} [A-Z][a-z]{2}, 09:00/g)).toHaveLength(3);
    // The same sentence the slash command gives.
    expect(await ackText('schedule "every morning" triage')).toContain(reason);

    const often = await refuse({ ...valid, cron: '*/5 * * * *' });
    expect(often.cron).toContain('runs every 5 minute(s); automations may run at most every 15 minutes');
    expect(await ackText('schedule "*/5 * * * *" triage')).toContain('at most every 15 minutes');

    // A repo the modal did not offer (the config changed, or a tampered client): refused on its input.
    const modal = await openScheduleModal(e, owner);
    const unknown = await submitModal(e, modal, {
      values: {
        cron: { cron: { type: 'plain_text_input', value: '0 9 * * 1-5' } },
        prompt: { prompt: { type: 'plain_text_input', value: 'triage' } },
        repo: { repo: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'billing' }, value: 'billing' } } },
        channel: { channel: { type: 'conversations_select', selected_conversation: channel } },
      },
    });
    expect(unknown).toEqual({ action: 'errors', errors: { repo: 'There is no repo called "billing". Pick one of calc, web, docs.' } });
    expect(await ackText('schedule "0 9 * * 1-5" --repo billing triage')).toContain('There is no repo called `billing`');

    // docs runs only in #dev: the person may not schedule it into #general, as with /codex schedule there.
    const where = await refuse({ ...valid, repo: 'docs' });
    expect(where.channel).toContain('Tasks cannot be started in that channel');
    expect(await ackText('schedule "0 9 * * 1-5" --repo docs triage')).toContain('Tasks cannot be started in this channel');
    // A pull request needs a repo on GitHub.
    const pr = await refuse({ ...valid, pr: ['open_pr'] });
    expect(pr.pr).toContain('Pull requests need a repo on GitHub, and "calc"');

    expect(await automations()).toHaveLength(before);
  });
});

describe('App Home: New automation when Slack refuses the form', () => {
  it('says so on the Home, with what to do, when the trigger has expired', { timeout: 60_000 }, async () => {
    await openHome(e, owner);
    const before = e.fake.modals(owner).length;
    e.fake.setTriggerLifetime(-1);
    try {
      await clickHome(e, owner, 'home_automation_new', 'codex_home_new_automation');
      await e.fake.waitFor(() => JSON.stringify(e.fake.homeView(owner)).includes('I could not open the New automation form (Slack said expired_trigger_id). Click New automation again'), 15_000);
    } finally {
      e.fake.setTriggerLifetime(3_000);
    }
    expect(e.fake.modals(owner)).toHaveLength(before);
  });
});

describe('App Home: New automation with a pull request', () => {
  it('keeps "open a pull request" for a repo on GitHub, and its runs ask for one', { timeout: 60_000 }, async () => {
    await openHome(e, owner);
    const modal = await openScheduleModal(e, owner);
    expect(await submitModal(e, modal, { ...valid, repo: 'web', prompt: 'bump the dependencies', pr: ['open_pr'] })).toEqual({ action: 'close' });
    const a = (await automations()).find((x) => x.prompt === 'bump the dependencies')!;
    expect(a).toMatchObject({ repo: 'web', requested: { pullRequest: true } });
    await e.fake.waitFor(() => homeBlocks(e, owner).some((b) => b.block_id === `home_auto_${a.id}`), 15_000);
    await clickHome(e, owner, `home_auto_${a.id}`, 'codex_auto_run');
    const card = await e.fake.waitFor(() => e.fake.messages(channel).find((m) => m.metadata?.event_type === 'codex_task_status' && JSON.stringify(m.blocks).includes(a.id)), 15_000);
    const run = (await e.store.getTask(card.metadata!.event_payload.task_id as string))!;
    expect({ repo: run.repo, autoPullRequest: run.autoPullRequest }).toEqual({ repo: 'web', autoPullRequest: true });
    await e.redis.del(`${e.prefix}:automation:${a.id}`);
    await e.redis.srem(`${e.prefix}:automations`, a.id);
  });
});

describe('App Home: defaults', () => {
  type Select = { action_id: string; initial_option?: { value: string } };
  const selected = () => Object.fromEntries(((homeBlocks(e, owner).find((b) => b.block_id === 'home_defaults')?.elements ?? []) as Select[]).map((s) => [s.action_id.replace('codex_home_default_', ''), s.initial_option?.value]));

  it('saves what is picked, which the next /codex task uses, and clears each again', { timeout: 90_000 }, async () => {
    await openHome(e, owner);
    expect(selected()).toEqual({ repo: NO_DEFAULT, model: NO_DEFAULT, personality: NO_DEFAULT });
    await clickHome(e, owner, 'home_defaults', 'codex_home_default_repo', 'web');
    await e.fake.waitFor(() => selected().repo === 'web', 15_000);
    await clickHome(e, owner, 'home_defaults', 'codex_home_default_model', 'own-model');
    await e.fake.waitFor(() => selected().model === 'own-model', 15_000);
    await clickHome(e, owner, 'home_defaults', 'codex_home_default_personality', 'pirate');
    await e.fake.waitFor(() => selected().personality === 'pirate', 15_000);
    // Stored where /codex defaults keeps them, and shown by it.
    expect(await e.redis.hgetall(`${e.prefix}:prefs:${owner}`)).toEqual({ repo: 'web', model: 'own-model', personality: 'pirate' });
    expect((await slash(e, 'defaults')).body).toContain('`own-model` (your default)');

    const used = await taskOf('use my defaults');
    expect({ repo: used.repo, model: used.model, personality: used.personality }).toEqual({ repo: 'web', model: 'own-model', personality: 'pirate' });
    // /codex schedule without --repo takes the default repo too.
    const scheduled = /automation `?([a-z0-9]{8})/.exec(await ackText('schedule "0 9 * * 1-5" check the dependencies'))![1]!;
    expect((await automations()).find((x) => x.id === scheduled)?.repo).toBe('web');
    await e.redis.srem(`${e.prefix}:automations`, scheduled);

    for (const field of ['repo', 'model', 'personality']) {
      await clickHome(e, owner, 'home_defaults', `codex_home_default_${field}`, NO_DEFAULT);
      await e.fake.waitFor(() => selected()[field] === NO_DEFAULT, 15_000);
    }
    expect(await e.redis.hgetall(`${e.prefix}:prefs:${owner}`)).toEqual({});
    const after = await taskOf('--repo calc after clearing');
    expect({ repo: after.repo, model: after.model, personality: after.personality }).toEqual({ repo: 'calc', model: 'test-model', personality: undefined });
  });
});
