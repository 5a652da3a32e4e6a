import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply } from '../fakes/model-server.js';
import { containersOf, FAKE_IDS, FIX_PATCH, slash, startE2E, type E2E } from '../helpers/e2e.js';

/*
 * `/codex task` end to end in one process: real Redis, real Docker, a real upstream repo, the
 * scripted model through the real openai SDK, the fake Slack through the real WebClient.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const texts = (m: { text: string; blocks?: unknown[] }) => JSON.stringify(m.blocks ?? []) + m.text;

describe('/codex task end to end', () => {
  it('acknowledges, posts the card, runs the agent in the sandbox, and ends with a summary, the diff and a commit', { timeout: 150_000 }, async () => {
    e = await startE2E({
      script: [
        reply(
          message('Looking at the code first.'),
          functionCall('update_plan', { plan: [{ step: 'Read the code', status: 'in_progress' }, { step: 'Fix add', status: 'pending' }, { step: 'Run the tests', status: 'pending' }] }),
          functionCall('shell', { command: 'cat src/math.js && whoami' }),
        ),
        (req) => {
          if (!lastToolOutput(req).includes('return a - b')) throw new Error('model did not get the real file');
          return reply(functionCall('apply_patch', { input: FIX_PATCH }));
        },
        reply(functionCall('shell', { command: 'npm test 2>&1' })),
        (req) => {
          const out = lastToolOutput(req);
          if (!/pass 1/.test(out)) throw new Error(`tests did not pass in the container: ${out}`);
          return reply(
            functionCall('update_plan', { plan: [{ step: 'Read the code', status: 'completed' }, { step: 'Fix add', status: 'completed' }, { step: 'Run the tests', status: 'completed' }] }),
          );
        },
        reply(message('Fixed `add` to add instead of subtract; `npm test` passes.')),
      ],
    });

    const ack = await slash(e, 'task fix the add function');
    expect(ack.status).toBe(200);
    expect(ack.body).toBe('');

    const root = await e.fake.waitFor(() => e!.fake.messages(FAKE_IDS.channel).find((m) => !m.thread_ts && m.metadata?.event_type === 'codex_task_status'), 10_000);
    const taskId = root.metadata!.event_payload.task_id as string;
    expect(taskId).toMatch(/^[a-z0-9]{8}$/);
    expect(texts(root.history[0] ?? root)).toContain('fix the add function');

    const task = await e.fake.waitFor(async () => {
      const t = await e!.store.getTask(taskId);
      return t && t.status === 'done' ? t : undefined;
    }, 90_000);
    expect(task.branch).toMatch(new RegExp(`^codex/${taskId}-fix-the-add-function$`));

    // The card went through its states and ended on Done.
    await e.fake.waitFor(() => texts(e!.fake.message(FAKE_IDS.channel, root.ts)!).includes('Done'), 20_000);
    const versions = [...e.fake.message(FAKE_IDS.channel, root.ts)!.history, e.fake.message(FAKE_IDS.channel, root.ts)!].map(texts);
    const firstIndex = (label: string) => versions.findIndex((v) => v.includes(label));
    expect(firstIndex('Queued')).toBe(0);
    expect(firstIndex('Working')).toBeGreaterThan(0);
    expect(firstIndex('Done')).toBeGreaterThan(firstIndex('Working'));

    // The commands really ran in the sandbox: the model saw the real file and the real test run.
    expect(lastToolOutput(e.model.requests[1]!)).toContain('agent');
    expect(lastToolOutput(e.model.requests[3]!)).toMatch(/pass 1/);

    // The summary and the diff file are in the thread.
    const summary = await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, root.ts).find((m) => m.metadata?.event_type === 'codex_task_summary'), 20_000);
    expect(texts(summary)).toContain('src/math.js');
    expect(texts(summary)).toContain(task.branch);
    const file = await e.fake.waitFor(() => [...e!.fake.files].find((f) => f.completed), 20_000);
    expect(file.bytes!.toString()).toContain('+  return a + b;');
    // Every message the bot posted for the task carries the task id in its metadata (the file
    // share message is Slack's own, made by files.completeUploadExternal).
    const posted = e.fake.thread(FAKE_IDS.channel, root.ts).filter((m) => m.user === FAKE_IDS.botUser && !m.files);
    expect(posted.length).toBeGreaterThanOrEqual(3);
    for (const m of posted) expect(m.metadata?.event_payload.task_id).toBe(taskId);

    // The branch holds the commit; the sandbox is gone.
    expect(e.mirrorGit('show', `${task.branch}:src/math.js`)).toContain('return a + b;');
    expect(e.mirrorGit('log', '-1', '--format=%an <%ae>%n%s', task.branch)).toMatch(/^Codex <codex@localhost>\ncodex: fix the add function/);
    expect(await containersOf(taskId)).toEqual([]);
  });

  it('posts the diff as a message when Slack refuses the file upload', { timeout: 90_000 }, async () => {
    e = await startE2E({ script: [reply(functionCall('apply_patch', { input: FIX_PATCH })), reply(message('Fixed add.'))] });
    e.fake.failNext('files.getUploadURLExternal', 'not_allowed_token_type', 5);
    await slash(e, 'task fix add without files');
    const root = await e.fake.waitFor(() => e!.fake.messages(FAKE_IDS.channel).find((m) => !m.thread_ts && m.metadata?.event_type === 'codex_task_status'), 10_000);
    const fallback = await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, root.ts).find((m) => texts(m).includes('could not be attached')), 60_000);
    expect(texts(fallback)).toContain('return a + b;');
    expect(fallback.metadata?.event_payload.task_id).toBe(root.metadata!.event_payload.task_id);
    expect([...e.fake.files].filter((f) => f.completed)).toEqual([]);
  });
});
