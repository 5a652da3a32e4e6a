import { describe, expect, it } from 'vitest';
import { renderCancelled, renderContextCompacted, renderCommandLog, renderFailure, renderInterrupted, renderNarration, renderSummary, type CommandResult } from '../../src/blocks/thread.js';
import type { FileChange } from '../../src/tasks/protocol.js';
import { allText, expectValid, HUGE_PROMPT, preview } from './preview.js';

const ok = (command: string, durationMs = 2100): CommandResult => ({ command, exitCode: 0, durationMs, timedOut: false, outputTail: 'fine' });
const bad = (command: string, outputTail: string, exitCode = 1): CommandResult => ({ command, exitCode, durationMs: 3400, timedOut: false, outputTail });

describe('renderNarration', () => {
  it('converts Markdown and escapes what the model wrote', () => {
    const msg = renderNarration({ text: '## Findings\nThe **date** parser uses local time <!here>.\n```ts\nconst d = new Date();\n```' });
    expectValid(msg);
    expect(preview(msg)).toMatchInlineSnapshot(`
      "text: 💬 Findings The date parser uses local time &lt;!here&gt;.
      [section] *Findings*
          The *date* parser uses local time &lt;!here&gt;.
          \`\`\`
          const d = new Date();
          \`\`\`"
    `);
  });

  it('caps a huge message and closes a cut code fence', () => {
    const msg = renderNarration({ text: `intro\n\`\`\`\n${'code line\n'.repeat(5000)}` });
    expectValid(msg);
    const text = allText(msg);
    expect(text).toMatch(/more lines\n```$/);
    expectValid(renderNarration({ text: HUGE_PROMPT }));
    expectValid(renderNarration({ text: '' }));
  });
});

describe('renderCommandLog', () => {
  it('lists a batch with failures and their output tails', () => {
    const msg = renderCommandLog({
      commands: [ok('npm ci', 41_000), bad('npm test', 'FAIL invoice.spec.ts\n  expected 2026-01-02 to equal 2026-01-01\nTests: 1 failed, 41 passed'), ok('git status', 80)],
    });
    expectValid(msg);
    expect(preview(msg)).toMatchInlineSnapshot(`
      "text: Ran 3 commands, 1 failed
      [section] ✓ \`npm ci\` (41.0s)
          ✗ \`npm test\` exit 1 (3.4s)
          ✓ \`git status\` (80ms)
      [section] Output of \`npm test\`:
          \`\`\`
          FAIL invoice.spec.ts
            expected 2026-01-02 to equal 2026-01-01
          Tests: 1 failed, 41 passed
          \`\`\`"
    `);
  });

  it('shows a timeout and a command without output', () => {
    const msg = renderCommandLog({ commands: [{ command: 'sleep 999', exitCode: 137, durationMs: 600_000, timedOut: true, outputTail: '' }] });
    expectValid(msg);
    expect(preview(msg)).toMatchInlineSnapshot(`
      "text: Ran 1 command, 1 failed
      [section] ✗ \`sleep 999\` timed out after 10m 00s
      [section] Output of \`sleep 999\`:
          _(no output)_"
    `);
  });

  it('does not flood: 40 commands become one message with a count', () => {
    const commands = Array.from({ length: 40 }, (_, i) => (i % 13 === 5 ? bad(`npm run step-${i}`, `error ${i}`) : ok(`npm run step-${i}`)));
    const msg = renderCommandLog({ commands, maxCommands: 8 });
    expectValid(msg);
    const text = allText(msg);
    expect(text).toContain('… and 32 more (32 ✓)');
    // The three failures are listed even though they come late.
    expect(text).toContain('npm run step-31');
    expect(msg.text).toBe('Ran 40 commands, 3 failed');
  });

  it('keeps the end of a 2,000-line output, and survives huge commands', () => {
    const output = Array.from({ length: 2000 }, (_, i) => `line ${i + 1} <tag> & stuff`).join('\n');
    const msg = renderCommandLog({ commands: [bad(`bash -c '${'x'.repeat(20_000)}'`, output), bad('b', output), bad('c', output), bad('d', output)] });
    expectValid(msg);
    const text = allText(msg);
    expect(text).toContain('line 2000 &lt;tag&gt; &amp; stuff');
    expect(text).toMatch(/… 1,98\d earlier lines/);
    expect(text).not.toContain('<tag>');
  });
});

describe('renderSummary', () => {
  const files: FileChange[] = [
    { path: 'src/invoice/date.ts', added: 12, removed: 4 },
    { path: 'tests/invoice.spec.ts', added: 30, removed: 2 },
  ];

  it('says what was done, the tests, the files and where the work is', () => {
    const msg = renderSummary({
      summary: 'Fixed the **time zone** bug: dates are now parsed as UTC.',
      diffStat: { files, added: 42, removed: 6 },
      branch: 'codex/k3x9q2m1-fix-date',
      commit: '3f786850e387550fdab836ed7e6dc881de23001b',
      repo: 'billing',
      owner: 'U0OWNER001',
      tests: { outcome: 'passed', detail: 'npm test: 42 passed' },
      elapsedMs: 305_000,
      usage: { inputTokens: 120_000, cachedInputTokens: 80_000, outputTokens: 9_000 },
    });
    expectValid(msg);
    expect(preview(msg)).toMatchInlineSnapshot(`
      "text: ✅ Done: 2 files changed (+42 −6) on codex/k3x9q2m1-fix-date
      [section] ✅ *Done* · for <@U0OWNER001>
      [section] Fixed the *time zone* bug: dates are now parsed as UTC.
      [section] ✅ Tests passed: npm test: 42 passed
      [section] *2 files changed* (+42 −6)
          \`tests/invoice.spec.ts\` +30 −2
          \`src/invoice/date.ts\` +12 −4
      [context] 🌿 \`codex/k3x9q2m1-fix-date\` | commit \`3f786850e387\` | 📦 billing | ⏱ 5m 05s | 120k in (80k cached) · 9k out"
    `);
  });

  it('says when a budget stopped the task, and handles 500 files', () => {
    const many: FileChange[] = Array.from({ length: 500 }, (_, i) => ({ path: `src/generated/module-${i}/${'deep/'.repeat(20)}file-${i}.ts`, added: i, removed: 1 }));
    const msg = renderSummary({ summary: HUGE_PROMPT, diffStat: { files: many, added: 124_750, removed: 500 }, branch: 'codex/x', budget: 'steps', tests: { outcome: 'not_run' } });
    expectValid(msg);
    const text = allText(msg);
    expect(text).toContain('⚠️ *Stopped early*: it reached its step limit.');
    expect(text).toContain('*500 files changed* (+124,750 −500)');
    expect(text).toMatch(/… 485 more files \(\+[\d,]+ −485\)/);
    expect(text).not.toMatch(/<!channel>|<https:/);
  });
});

describe('failure, cancellation and interruption', () => {
  it('says what happened and what to do', () => {
    expect(preview(renderFailure({ code: 'sandbox_unavailable', message: 'Docker is not reachable.', repo: 'billing', branch: 'codex/k3x9q2m1-fix' }))).toMatchInlineSnapshot(`
      "text: ❌ The task failed: Docker is not reachable.
      [section] ❌ *The task failed.* Docker is not reachable.
      [section] Work done so far is on branch \`codex/k3x9q2m1-fix\`. To try again from there, start a new task with \`/codex task --repo billing --branch codex/k3x9q2m1-fix …\`.
      [context] Error code: \`sandbox_unavailable\`"
    `);
    expect(preview(renderCancelled({ by: 'U0OWNER001', repo: 'billing', branch: 'codex/k3x9q2m1-fix' }))).toMatchInlineSnapshot(`
      "text: 🚫 <@U0OWNER001> cancelled the task.
      [section] 🚫 <@U0OWNER001> cancelled the task. Work done so far is on branch \`codex/k3x9q2m1-fix\`; to pick it up, start a new task with \`/codex task --repo billing --branch codex/k3x9q2m1-fix …\`."
    `);
    expect(preview(renderCancelled({}))).toMatchInlineSnapshot(`
      "text: 🚫 The task was cancelled.
      [section] 🚫 The task was cancelled."
    `);
    expect(preview(renderInterrupted({ by: 'U0APPROV03' }))).toMatchInlineSnapshot(`
      "text: ⏸️ <@U0APPROV03> stopped the current step.
      [section] ⏸️ <@U0APPROV03> stopped the current step. Reply in this thread to tell the agent what to do next, or press *Cancel* on the card to end the task."
    `);
  });

  it('caps a huge error', () => {
    const msg = renderFailure({ code: 'x'.repeat(500), message: HUGE_PROMPT, hint: HUGE_PROMPT, branch: 'b'.repeat(500) });
    expectValid(msg);
    expect(allText(msg)).not.toMatch(/<!channel>/);
    for (const m of [renderCancelled({ by: 'U0OWNER001', branch: 'b' }), renderInterrupted({})]) expectValid(m);
  });
});

describe('renderContextCompacted', () => {
  it('says the conversation was compacted, how much, and how', () => {
    const endpoint = renderContextCompacted({ tokensBefore: 231_400, tokensAfter: 18_000, method: 'endpoint' });
    expectValid(endpoint);
    expect(preview(endpoint)).toMatchInlineSnapshot(`
      "text: 🗜️ Compacted the conversation: 231.4k → 18k tokens
      [section] 🗜️ Compacted the conversation: 231.4k → 18k tokens (compacted by the model API), to stay within the model's context window. The task goes on."
    `);
    const summary = renderContextCompacted({ tokensBefore: 6_500, tokensAfter: 2_950, method: 'summary' });
    expectValid(summary);
    expect(allText(summary)).toContain('Compacted the conversation: 6.5k → 3k tokens');
    expect(allText(summary)).toContain('summarized its work so far');
  });
});
