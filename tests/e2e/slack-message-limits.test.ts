import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply, userMessages } from '../fakes/model-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { failedCalls, limitFailures, sendCommand, visibleText, waitForJobEnd } from '../helpers/slack-checks.js';

/*
 * Oversized input and output through the whole product: a 100 KB prompt (Slack itself caps a
 * slash command's text, but the app must not depend on that), 2,000 long lines of output from a
 * failing command, a 100 KB line without a newline, a batch of a dozen failing commands, a
 * 60-step plan and a long final answer full of mrkdwn. The fake Slack checks every message
 * against Slack's Block Kit limits and answers `invalid_blocks`, `msg_too_long`, … the way
 * Slack does; no call may get such an answer, and every message still says what matters
 * (the prompt's start, the output's tail, the summary).
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

/** Text that is hard on mrkdwn: markup, mentions, entities, emoji, code fences. */
const NASTY = 'handle `a < b && c > d` *bold* _it_ ~strike~ <@U0OTHER002> <!here> &amp; 🚀 ``` fence ``` > quote\n';

function bigPrompt(bytes: number): string {
  let text = 'fix the add function and ';
  while (Buffer.byteLength(text) < bytes - 40) text += NASTY;
  return `${text}END-OF-PROMPT-MARKER`;
}

/** Prints 2,000 lines of ~130 characters and fails. */
const LONG_OUTPUT = `for i in $(seq 1 2000); do printf 'line %04d %s\\n' "$i" "$(printf 'x%.0s' $(seq 1 120))"; done; echo 'tests failed: <expected> & "actual"' >&2; exit 3`;
/** 100 KB on one line, no newline, and a failure. */
const ONE_LINE = `head -c 100000 /dev/zero | tr '\\0' 'y'; exit 1`;

describe('Slack message limits', () => {
  it('a 100 KB prompt, 2,000 lines of output, a dozen failing commands and a 60-step plan all post within Slack limits', { timeout: 180_000 }, async () => {
    const plan = Array.from({ length: 60 }, (_, i) => ({ step: `Step ${i + 1}: ${NASTY.repeat(3).trim()}`, status: i < 3 ? 'completed' : i === 3 ? 'in_progress' : 'pending' }));
    const batch = Array.from({ length: 12 }, (_, i) => functionCall('shell', { command: `echo '${'z'.repeat(200)}' && echo "check ${i + 1} failed" >&2 && exit ${i + 1}` }));
    const finalAnswer = `## Summary\n\n${Array.from({ length: 400 }, (_, i) => `- item ${i + 1}: ${NASTY.trim()}`).join('\n')}\n\nDone with the long task.`;
    e = await startE2E({
      script: [
        reply(message(`Starting. ${NASTY.repeat(500)}`), functionCall('update_plan', { plan }), functionCall('shell', { command: LONG_OUTPUT })),
        (req) => {
          const out = lastToolOutput(req);
          if (!out.includes('line 2000')) throw new Error(`the model did not get the output's tail: ${out.slice(-300)}`);
          return reply(functionCall('shell', { command: ONE_LINE }));
        },
        reply(...batch),
        reply(message(finalAnswer)),
      ],
    });

    const prompt = bigPrompt(100 * 1024);
    expect(Buffer.byteLength(prompt)).toBeGreaterThanOrEqual(100 * 1024 - 40);
    const ack = await sendCommand(e, `task ${prompt}`);
    expect(ack.status).toBe(200);
    expect(ack.body).toBe('');

    const root = await e.fake.waitFor(() => e!.fake.messages(FAKE_IDS.channel).find((m) => m.metadata?.event_type === 'codex_task_status'), 15_000);
    const taskId = root.metadata!.event_payload.task_id as string;
    expect(visibleText(root.history[0] ?? root)).toContain('fix the add function');
    await waitForJobEnd(e, taskId, 150_000);

    // Every call the app made was accepted: no limit broken anywhere, and nothing else failed.
    expect(limitFailures(e.fake)).toEqual([]);
    expect(failedCalls(e.fake).map((c) => `${c.method} → ${String(c.response.error)}`)).toEqual([]);
    expect(e.fake.callsTo('chat.postMessage').length).toBeGreaterThanOrEqual(4);
    expect(e.fake.responses()).toEqual([]);
    // Markup from the prompt, the model and command output is shown, never acted on: no
    // message pings the channel or a person because the text said so.
    const sent = [...e.fake.callsTo('chat.postMessage'), ...e.fake.callsTo('chat.update')].map((c) => JSON.stringify([c.args.text, c.args.blocks]));
    for (const m of sent) {
      expect(m).not.toContain('<!here>');
      expect(m).not.toContain('<@U0OTHER002>');
    }

    // The agent got the whole prompt, though the card shows only its start.
    expect(userMessages(e.model.requests[0]!).join('\n')).toContain('END-OF-PROMPT-MARKER');
    const card = e.fake.message(FAKE_IDS.channel, root.ts)!;
    expect(visibleText(card)).toContain('Done');
    expect(visibleText(card)).not.toContain('END-OF-PROMPT-MARKER');

    // The command logs show the tails of the failures: the last of the 2,000 lines, not the first.
    const thread = e.fake.thread(FAKE_IDS.channel, root.ts);
    const logs = thread.filter((m) => m.metadata?.event_type === 'codex_task_commands').map(visibleText).join('\n');
    expect(logs).toContain('line 2000');
    expect(logs).not.toContain('line 0001');
    expect(logs).toContain('tests failed');
    expect(logs).toContain('yyyy');
    // All fourteen commands are accounted for, the batch's last one included.
    expect(logs).toContain('exit 12');
    expect(logs.match(/Ran \d+ commands?/g)!.reduce((n, m) => n + Number(/\d+/.exec(m)![0]), 0)).toBe(14);
    // The summary arrived, cut to fit.
    const summary = thread.find((m) => m.metadata?.event_type === 'codex_task_summary');
    expect(summary).toBeDefined();
    expect(visibleText(summary!)).toContain('item 1:');
  });
});
