import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply } from '../fakes/model-server.js';
import type { FakeMessage } from '../fakes/slack-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { click, requestsOf, scriptByPrompt, shown, startTask, waitApprovalPrompt, waitStatus } from '../helpers/thread.js';

/*
 * "An approval prompt shows every byte of what will run": a command whose risky part is on
 * line 44, and one whose risky part comes after 2,600 blanks, are both readable in what Slack
 * received before anyone clicks (the prompt says it is partial and the whole command is
 * uploaded to the thread as a file); the prompt names the working directory and every reason
 * the policy asks.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, owner } = FAKE_IDS;

const LINE_44 = `${Array.from({ length: 43 }, (_, i) => `echo step ${i + 1}`).join('\n')}\ntouch payload-on-line-44.txt`;
const AFTER_BLANKS = `echo harmless${' '.repeat(2600)}; touch payload-after-blanks.txt && git push origin HEAD`;

/** Files uploaded into the thread, with their bytes. */
function threadFiles(e: E2E, threadTs: string) {
  return e.fake.files.filter((f) => f.threadTs === threadTs && f.completed && f.bytes !== undefined).map((f) => ({ name: f.filename, content: f.bytes!.toString('utf8') }));
}

/** Everything readable in the thread before the click: the prompt's blocks and text, and the files. */
function readable(e: E2E, prompt: FakeMessage, threadTs: string): string {
  return [shown(prompt), ...threadFiles(e, threadTs).map((f) => f.content)].join('\n');
}

describe('approval prompt', () => {
  it('shows every byte, the working directory and every need before the click', { timeout: 120_000 }, async () => {
    e = await startE2E({
      repo: { approval: { mode: 'never', commandPatterns: ['^touch '], push: true, timeoutMinutes: 2 } },
      script: scriptByPrompt({
        'two long commands': (req, n) => {
          switch (n) {
            case 0:
              return reply(functionCall('shell', { command: LINE_44, workdir: 'src' }));
            case 1:
              if (!lastToolOutput(req).includes('declined')) throw new Error(`expected a denial: ${lastToolOutput(req)}`);
              return reply(functionCall('shell', { command: AFTER_BLANKS }));
            default:
              return reply(message('Both commands were declined.'));
          }
        },
      }),
    });
    const task = await startTask(e, 'two long commands');

    // The payload on line 44.
    const p1 = await waitApprovalPrompt(e, channel, task.card.ts, 0);
    const seen1 = readable(e, p1, task.card.ts);
    expect(seen1).toContain('touch payload-on-line-44.txt');
    expect(threadFiles(e, task.card.ts).map((f) => f.content)).toContain(LINE_44); // every byte
    expect(shown(p1)).toContain('not shown whole');
    expect(shown(p1)).toContain('`/workspace/src`');
    expect(shown(p1)).toContain('it matches the pattern /^touch /');
    await click(e, p1, 'codex_deny', owner);

    // The payload after 2,600 blanks, with two needs (push and the pattern).
    const p2 = await waitApprovalPrompt(e, channel, task.card.ts, 1);
    const seen2 = readable(e, p2, task.card.ts);
    expect(seen2).toContain('touch payload-after-blanks.txt');
    expect(threadFiles(e, task.card.ts).map((f) => f.content)).toContain(AFTER_BLANKS);
    expect(shown(p2)).toContain('⟪2,600 blanks⟫');
    expect(shown(p2)).toContain('`/workspace`');
    expect(shown(p2)).toContain('it pushes a branch or opens a pull request');
    expect(shown(p2)).toContain('it matches the pattern /^touch /');
    await click(e, p2, 'codex_deny', owner);

    const done = await waitStatus(e, task.taskId, 'done', 60_000);
    expect(requestsOf(e, 'two long commands')).toHaveLength(3);
    expect(e.mirrorGit('ls-tree', '-r', '--name-only', done.branch)).not.toContain('payload');
  });
});
