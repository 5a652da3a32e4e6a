import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply } from '../fakes/model-server.js';
import { renderCard } from '../../src/render/card-updater.js';
import { replayTask } from '../../src/render/task-view.js';
import { decidersOf } from '../../src/tasks/access.js';
import { redactBlocks, redactSecrets } from '../../src/util/redact.js';
import { FAKE_IDS, FIX_PATCH, startE2E, type E2E } from '../helpers/e2e.js';
import { click, replyInThread, startTask, waitApprovalPrompt, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * Slack is a pure reader of task events: everything a finished task's thread and card show can
 * be rebuilt from its events in Redis alone, and equals what the fake Slack received.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, owner } = FAKE_IDS;
const visible = (m: { text: string; blocks?: unknown[] }) => JSON.stringify({ text: redactSecrets(m.text), blocks: redactBlocks(m.blocks ?? []) });

describe('rendering from task events', () => {
  it('rebuilds a finished task\'s card and thread from its stored events alone, exactly as Slack received them', { timeout: 120_000 }, async () => {
    let release!: () => void;
    const steered = new Promise<void>((r) => (release = r));
    e = await startE2E({
      repo: { approval: { mode: 'never', commandPatterns: ['^touch '] } },
      script: [
        reply(message('Looking at the code first.'), functionCall('update_plan', { plan: [{ step: 'Read', status: 'in_progress' }, { step: 'Fix', status: 'pending' }] }), functionCall('shell', { command: 'cat src/math.js' })),
        async () => {
          await steered;
          return reply(functionCall('shell', { command: 'ls && false' }), functionCall('shell', { command: 'touch marker.txt' }));
        },
        (req) => {
          if (!lastToolOutput(req).startsWith('Exit code: 0')) throw new Error(`the approved command did not run: ${lastToolOutput(req)}`);
          return reply(message('Now the fix.'), functionCall('apply_patch', { input: FIX_PATCH }));
        },
        reply(functionCall('shell', { command: 'npm test 2>&1' })),
        reply(message('Fixed `add`; `npm test` passes. Token seen: xoxb-1234567890-abcdefghijklmnop')),
      ],
    });
    const { taskId, card } = await startTask(e, 'fix the add function');
    // A reply while it works: steering, marked ✅ when the agent takes it.
    await waitEvent(e, taskId, 'command_finished');
    const steer = await replyInThread(e, card.ts, owner, 'Also keep the style.');
    await waitEvent(e, taskId, 'steering_received').catch(() => undefined);
    release();
    const prompt = await waitApprovalPrompt(e, channel, card.ts, 0);
    await click(e, prompt, 'codex_approve', owner);
    await waitStatus(e, taskId, 'done', 90_000);

    const events = await e.store.readEvents(taskId);
    const { state, outputs } = replayTask(taskId, events, (t) => decidersOf(e!.config.findRepo(t.repo), undefined, t.owner));

    // The thread: every message the bot posted, in order, as it reads now.
    const posted = e.fake.thread(channel, card.ts).filter((m) => m.ts !== card.ts && m.metadata?.event_type?.startsWith('codex_task_'));
    const expected = outputs.flatMap((o) => (o.type === 'post' || o.type === 'summary' ? [o] : []));
    expect(posted.map((m) => m.metadata!.event_type)).toEqual(expected.map((o) => `codex_task_${o.type === 'summary' ? 'summary' : o.kind}`));
    const settled = new Map(outputs.flatMap((o) => (o.type === 'settle' ? [[o.approvalId, o.message] as const] : [])));
    posted.forEach((m, i) => {
      const o = expected[i]!;
      // An approval prompt was first posted as asked, then settled in place.
      const first = m.history[0] ?? m;
      expect(visible(first)).toBe(visible(o.message));
      if (o.type === 'post' && o.approval) expect(visible(m)).toBe(visible(settled.get(o.approval.approvalId)!));
    });
    expect(posted.length).toBeGreaterThanOrEqual(5);
    // Narration, the command log with the failing command, the approval, the summary; the
    // summary's secret is redacted on the way.
    expect(posted.map((m) => m.metadata!.event_type)).toEqual(expect.arrayContaining(['codex_task_narration', 'codex_task_commands', 'codex_task_approval', 'codex_task_summary']));
    expect(JSON.stringify(posted)).not.toContain('abcdefghijklmnop');

    // The diff the summary refers to is the one stored beside the events.
    const completed = events.find((ev) => ev.type === 'task_completed');
    expect(completed?.type === 'task_completed' && completed.diff?.turn).toBe(1);
    const file = e.fake.files.find((f) => f.threadTs === card.ts && f.filename === `codex-${taskId}.diff`);
    expect(file?.bytes?.toString('utf8')).toBe(await e.store.readDiff(taskId, 1));

    // The steering reply was marked as taken.
    expect((e.fake.message(channel, steer.ts)?.reactions ?? []).map((r) => r.name)).toEqual(expect.arrayContaining(['eyes', 'white_check_mark']));

    // The card: its last version is the fold of the events.
    const root = e.fake.message(channel, card.ts)!;
    expect(visible(root)).toBe(visible(renderCard(state)));
    expect(state.status).toBe('done');
  });
});
