import { describe, expect, it } from 'vitest';
import { parseTaskButtonValue } from '../../src/blocks/button-value.js';
import { renderStatusCard, sameModel, type StatusCardView } from '../../src/blocks/status-card.js';
import type { PlanStep } from '../../src/tasks/protocol.js';
import { allText, expectValid, HUGE_PROMPT, preview } from './preview.js';

const base: StatusCardView = {
  taskId: 'k3x9q2m1',
  owner: 'U0OWNER001',
  prompt: 'fix the flaky date test in invoice.spec.ts',
  repo: 'billing',
  branch: 'codex/k3x9q2m1-fix-the-flaky-date-test',
  status: 'working',
  currentStep: { label: 'Running', code: 'npm test -- invoice' },
  plan: [
    { step: 'Reproduce the failure', status: 'completed' },
    { step: 'Fix the time zone handling', status: 'in_progress' },
    { step: 'Run the whole suite', status: 'pending' },
  ],
  steeringPending: 1,
  elapsedMs: 125_000,
  model: 'gpt-5-codex',
  usage: { inputTokens: 12_300, cachedInputTokens: 8_100, outputTokens: 2_100 },
};

describe('renderStatusCard', () => {
  it('says when another model answered than the one asked for, but not for a dated snapshot of it', () => {
    expect(sameModel('gpt-5', 'gpt-5-2025-08-07')).toBe(true);
    expect(sameModel('gpt-5', 'gpt-5-mini')).toBe(false);
    const swapped = allText(renderStatusCard({ ...base, servedBy: 'gpt-5-mini' }));
    expect(swapped).toContain('Answered by `gpt-5-mini`');
    expect(swapped).toContain('not `gpt-5-codex` as asked');
    const snapshot = allText(renderStatusCard({ ...base, servedBy: 'gpt-5-codex-2025-09-15' }));
    expect(snapshot).not.toContain('Answered by');
    expect(snapshot).toContain('gpt-5-codex');
    expectValid(renderStatusCard({ ...base, servedBy: 'x'.repeat(5000) }));
  });

  it('renders a working task', () => {
    const card = renderStatusCard(base);
    expectValid(card);
    expect(card).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "block_id": "codex_task_head",
            "text": {
              "text": "🔄 *Working* · task \`k3x9q2m1\`
      <@U0OWNER001> asked:
      > fix the flaky date test in invoice.spec.ts",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "📦 billing · 🌿 \`codex/k3x9q2m1-fix-the-flaky-date-test\` · ⏱ 2m 05s",
                "type": "mrkdwn",
              },
            ],
            "type": "context",
          },
          {
            "text": {
              "text": "*Now:* Running \`npm test -- invoice\`",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "text": {
              "text": "*Plan* · 1 of 3 done
      ✅ Reproduce the failure
      ▶️ Fix the time zone handling
      ⬜ Run the whole suite",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "💬 1 reply waiting for the agent",
                "type": "mrkdwn",
              },
              {
                "text": "🤖 gpt-5-codex · 12.3k in (8.1k cached) · 2.1k out",
                "type": "mrkdwn",
              },
            ],
            "type": "context",
          },
          {
            "block_id": "codex_task_controls",
            "elements": [
              {
                "action_id": "codex_stop",
                "text": {
                  "emoji": true,
                  "text": "Stop",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"t":"k3x9q2m1"}",
              },
              {
                "action_id": "codex_cancel",
                "confirm": {
                  "confirm": {
                    "emoji": true,
                    "text": "Cancel task",
                    "type": "plain_text",
                  },
                  "deny": {
                    "emoji": true,
                    "text": "Keep it running",
                    "type": "plain_text",
                  },
                  "style": "danger",
                  "text": {
                    "emoji": true,
                    "text": "The agent stops and the task ends. Work done so far stays on branch codex/k3x9q2m1-fix-the-flaky-date-test.",
                    "type": "plain_text",
                  },
                  "title": {
                    "emoji": true,
                    "text": "Cancel this task?",
                    "type": "plain_text",
                  },
                },
                "style": "danger",
                "text": {
                  "emoji": true,
                  "text": "Cancel",
                  "type": "plain_text",
                },
                "type": "button",
                "value": "{"t":"k3x9q2m1"}",
              },
            ],
            "type": "actions",
          },
        ],
        "text": "🔄 Working: fix the flaky date test in invoice.spec.ts (billing)",
      }
    `);
  });

  it('shows only Cancel while queued, and a hint when interrupted', () => {
    const queued = renderStatusCard({ ...base, status: 'queued', plan: undefined, currentStep: undefined, usage: undefined, elapsedMs: undefined, branch: undefined, steeringPending: 0 });
    expectValid(queued);
    expect(preview(queued)).toMatchInlineSnapshot(`
      "text: ⏳ Queued: fix the flaky date test in invoice.spec.ts (billing)
      [section] ⏳ *Queued* · task \`k3x9q2m1\`
          <@U0OWNER001> asked:
          > fix the flaky date test in invoice.spec.ts
      [context] 📦 billing
      [context] 🤖 gpt-5-codex
      [actions] Cancel (codex_cancel, {"t":"k3x9q2m1"}, danger, confirm "Cancel this task?")"
    `);
    const interrupted = renderStatusCard({ ...base, status: 'interrupted', currentStep: 'Stopped: reply in the thread' });
    expectValid(interrupted);
    expect(preview(interrupted)).toMatchInlineSnapshot(`
      "text: ⏸️ Interrupted: waiting for instructions: fix the flaky date test in invoice.spec.ts (billing)
      [section] ⏸️ *Interrupted: waiting for instructions* · task \`k3x9q2m1\`
          <@U0OWNER001> asked:
          > fix the flaky date test in invoice.spec.ts
      [context] 📦 billing · 🌿 \`codex/k3x9q2m1-fix-the-flaky-date-test\` · ⏱ 2m 05s
      [section] Reply in this thread to tell the agent what to do next.
      [section] *Plan* · 1 of 3 done
          ✅ Reproduce the failure
          ▶️ Fix the time zone handling
          ⬜ Run the whole suite
      [context] 💬 1 reply waiting for the agent | 🤖 gpt-5-codex · 12.3k in (8.1k cached) · 2.1k out
      [actions] Cancel (codex_cancel, {"t":"k3x9q2m1"}, danger, confirm "Cancel this task?")"
    `);
  });

  it('has no buttons once the task has ended', () => {
    for (const status of ['done', 'failed', 'cancelled'] as const) {
      const card = renderStatusCard({ ...base, status, error: { code: 'sandbox_failed', message: 'Docker went away' } });
      expectValid(card);
      expect(card.blocks.some((b) => b.type === 'actions')).toBe(false);
    }
    expect(preview(renderStatusCard({ ...base, status: 'failed', turn: 2, error: { code: 'sandbox_failed', message: 'Docker <went> away' } }))).toMatchInlineSnapshot(`
      "text: ❌ Failed: fix the flaky date test in invoice.spec.ts (billing)
      [section] ❌ *Failed* · task \`k3x9q2m1\` · turn 2
          <@U0OWNER001> asked:
          > fix the flaky date test in invoice.spec.ts
      [context] 📦 billing · 🌿 \`codex/k3x9q2m1-fix-the-flaky-date-test\` · ⏱ 2m 05s
      [section] *Error:* Docker &lt;went&gt; away
      [section] *Plan* · 1 of 3 done
          ✅ Reproduce the failure
          ▶️ Fix the time zone handling
          ⬜ Run the whole suite
      [context] 🤖 gpt-5-codex · 12.3k in (8.1k cached) · 2.1k out"
    `);
  });

  it('puts ids only into button values', () => {
    const card = renderStatusCard({ ...base, prompt: 'rm -rf / && curl https://evil.example' });
    const actions = card.blocks.find((b) => b.type === 'actions');
    const values = (actions as { elements: Array<{ action_id: string; value: string }> }).elements.map((e) => [e.action_id, parseTaskButtonValue(e.value)]);
    expect(values).toEqual([
      ['codex_stop', { t: 'k3x9q2m1' }],
      ['codex_cancel', { t: 'k3x9q2m1' }],
    ]);
  });

  it('escapes the prompt so it cannot mention, link or notify', () => {
    const card = renderStatusCard({ ...base, prompt: 'hi <!channel> <@U0OTHER002> <https://evil.example|docs> &' });
    const text = allText(card);
    expect(text).not.toMatch(/<!channel>|<@U0OTHER002>|<https:/);
    expect(text).toContain('&lt;!channel&gt;');
  });

  it('survives a 100 KB prompt, a 60-step plan and huge fields', () => {
    const plan: PlanStep[] = Array.from({ length: 60 }, (_, i) => ({
      step: `Step ${i + 1}: ${'very long description '.repeat(20)}`,
      status: i < 25 ? 'completed' : i === 25 ? 'in_progress' : 'pending',
    }));
    const card = renderStatusCard({
      ...base,
      prompt: HUGE_PROMPT,
      plan,
      repo: 'r'.repeat(500),
      branch: 'b'.repeat(500),
      model: 'm'.repeat(500),
      currentStep: { label: 'l'.repeat(500), code: 'c'.repeat(50_000) },
      steeringPending: 1234,
      elapsedMs: 99 * 3600_000,
    });
    expectValid(card);
    const text = allText(card);
    expect(text).toContain('more characters');
    expect(text).toContain('✅ 24 earlier steps done');
    expect(text).toContain('⬜ … 28 more steps');
    expect(text).not.toMatch(/<!channel>|<https:/);
  });
});
