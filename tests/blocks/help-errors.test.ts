import { describe, expect, it } from 'vitest';
import { renderError, type ErrorView } from '../../src/blocks/errors.js';
import { renderHelp } from '../../src/blocks/help.js';
import { renderTaskList } from '../../src/blocks/task-list.js';
import { allText, expectValid, HUGE_PROMPT, preview } from './preview.js';

describe('renderHelp', () => {
  it('shows usage, examples and how to work with a running task', () => {
    const msg = renderHelp({ repos: ['billing', 'web'], defaultRepo: 'billing' });
    expectValid(msg);
    expect(preview(msg)).toMatchInlineSnapshot(`
      "text: How to use /codex: /codex task [--repo NAME] &lt;prompt&gt;
      [section] 📖 */codex: a coding agent in Slack*
      [section] *Start a task*
          \`/codex task [--repo NAME] [--branch BRANCH] [--model NAME] [--personality NAME] [--pr] &lt;prompt&gt;\` (\`--pr\`: open a pull request when it is done, on a repo on GitHub)
          e.g. \`/codex task --repo billing fix the flaky date test in invoice.spec.ts\`
          
          *Other commands*
          \`/codex plan [--repo NAME] &lt;prompt&gt;\`: explore and propose a plan without changing anything; reply in the thread to carry it out
          \`/codex review [--repo NAME] &lt;branch | pull request number or URL&gt;\`: a read-only review of a change, findings in a thread (and on the pull request)
          \`/codex status [task id]\`: the state of a task, or of your recent tasks
          \`/codex cancel &lt;task id&gt;\`: end a task; its branch keeps what was done
          \`/codex list\`: the running and queued tasks you may see
          \`/codex log &lt;task id&gt;\`: what a task did: commands, approvals, steering, stops
          \`/codex defaults [--repo NAME] [--model NAME] [--personality NAME]\`: your defaults for new tasks (\`reset\` forgets them)
          \`/codex schedule "&lt;cron&gt;" [--repo NAME] [--model NAME] [--personality NAME] [--pr] &lt;prompt&gt;\`: run a prompt on a schedule, each run a task in this channel (\`schedules\` lists them, \`unschedule &lt;id&gt;\` removes one; the app's Home tab has a form for it)
          \`/codex help\`: this message
      [section] *While a task runs* (everything happens in its thread)
          • *Steer*: reply in the thread; the agent reads your reply before its next step.
          • *Approve*: when the agent asks, press *Approve*, *Approve for this task* or *Deny*.
          • *Stop*: pauses the current step; reply to say what to do next.
          • *Cancel*: ends the task.
          • *Follow up*: reply after it ended to continue on the same branch.
          You can also mention the bot with a request instead of using the command.
      [context] Repos: \`billing\`, \`web\`. Default here: \`billing\`."
    `);
  });

  it('handles no repos and very many repos', () => {
    expectValid(renderHelp());
    const many = renderHelp({ repos: Array.from({ length: 300 }, (_, i) => `repo-${i}-${'x'.repeat(100)}`) });
    expectValid(many);
    expect(allText(many)).toContain('… and 285 more');
  });
});

describe('renderError', () => {
  const views: ErrorView[] = [
    { kind: 'unknown_subcommand', subcommand: 'deploy' },
    { kind: 'missing_prompt' },
    { kind: 'invalid_flag', flag: '--repo', problem: 'needs a value' },
    { kind: 'invalid_command', reason: '`--branch` is given twice.' },
    { kind: 'unknown_repo', repo: 'bililng', repos: ['billing', 'web'] },
    { kind: 'repo_choice_needed', repos: ['billing', 'web'] },
    { kind: 'not_allowed', scope: 'channel' },
    { kind: 'not_allowed', scope: 'user' },
    { kind: 'not_allowed', scope: 'repo', repo: 'billing' },
    { kind: 'service_unavailable', service: 'redis' },
    { kind: 'service_unavailable', service: 'docker' },
    { kind: 'not_permitted', action: 'approve', owner: 'U0OWNER001' },
    { kind: 'not_permitted', action: 'steer', owner: 'U0OWNER001' },
    { kind: 'missing_task_id', subcommand: 'cancel' },
    { kind: 'task_not_found', taskId: 'zzzz9999' },
    { kind: 'task_finished', taskId: 'k3x9q2m1', status: 'done' },
    { kind: 'approval_closed' },
    { kind: 'internal', reference: 'req-42' },
  ];

  it('renders one sentence per problem that says what to do next', () => {
    const lines = views.map((v) => {
      const msg = renderError(v);
      expectValid(msg);
      expect(msg.blocks).toHaveLength(1);
      return msg.text;
    });
    expect(lines.join('\n')).toMatchInlineSnapshot(`
      "⚠️ \`/codex deploy\` is not a command I know. Try \`/codex task &lt;prompt&gt;\`, or \`/codex help\` for the list.
      ⚠️ Tell me what to do after \`/codex task\`, e.g. \`/codex task fix the flaky date test\`.
      ⚠️ \`--repo\` needs a value. See \`/codex help\` for the options.
      ⚠️ \`--branch\` is given twice. See \`/codex help\` for examples.
      ⚠️ There is no repo called \`bililng\`. Pick one of \`billing\`, \`web\` with \`--repo NAME\`.
      ⚠️ Which repo? Add \`--repo NAME\` with one of \`billing\`, \`web\`.
      ⚠️ Tasks cannot be started in this channel. Ask an admin which channels are set up for it, and start the task there.
      ⚠️ You are not on the list of people who may start tasks. Ask an admin to add you.
      ⚠️ You may not start tasks on \`billing\`. Ask an admin for access, or pick another repo.
      ⚠️ I can't take tasks right now: its task store (Redis) is not reachable. Try again in a few minutes; if it keeps happening, tell whoever runs this bot.
      ⚠️ I can't take tasks right now: it cannot reach Docker to run the sandbox. Try again in a few minutes; if it keeps happening, tell whoever runs this bot.
      ⚠️ Only <@U0OWNER001>, who started this task, or an approver can decide on approvals for it. Ask them, or start your own task with \`/codex task\`.
      ⚠️ Only <@U0OWNER001>, who started this task, or an approver can steer it. Ask them, or start your own task with \`/codex task\`.
      ⚠️ Which task? Use \`/codex cancel &lt;task id&gt;\`; the id is on the task's status card.
      ⚠️ There is no task \`zzzz9999\`. Check the id on the task's status card, or run \`/codex status\` to list your tasks.
      ⚠️ Task \`k3x9q2m1\` has already ended (done). Reply in its thread to continue it, or start a new task with \`/codex task\`.
      ⚠️ This request is already decided or has expired, so nothing changed. The thread shows its outcome.
      ⚠️ Something went wrong on my side. Try again; if it happens again, tell whoever runs this bot (reference \`req-42\`)."
    `);
  });

  it('escapes and caps whatever the user typed', () => {
    for (const v of [
      { kind: 'unknown_subcommand', subcommand: HUGE_PROMPT },
      { kind: 'unknown_repo', repo: HUGE_PROMPT, repos: Array.from({ length: 100 }, (_, i) => `r${i}`) },
      { kind: 'invalid_flag', flag: HUGE_PROMPT, problem: HUGE_PROMPT },
      { kind: 'invalid_command', reason: HUGE_PROMPT },
      { kind: 'task_not_found', taskId: '<!channel>' },
    ] satisfies ErrorView[]) {
      const msg = renderError(v);
      expectValid(msg);
      expect(allText(msg)).not.toMatch(/<!channel>|<https:|<@U0OTHER002>/);
    }
    expect(preview(renderError({ kind: 'task_not_found', taskId: '<!channel>' }))).toMatchInlineSnapshot(`
      "text: ⚠️ There is no task \`&lt;!channel&gt;\`. Check the id on the task's status card, or run \`/codex status\` to list your tasks.
      [section] ⚠️ There is no task \`&lt;!channel&gt;\`. Check the id on the task's status card, or run \`/codex status\` to list your tasks."
    `);
  });
});

describe('renderTaskList', () => {
  it('lists recent tasks, one short line each, with links to their threads', () => {
    const msg = renderTaskList({
      tasks: [
        { taskId: 'k3x9q2m1', status: 'working', prompt: 'fix the flaky date test', repo: 'billing', permalink: 'https://acme.slack.com/archives/C0FAKEGEN1/p1700000000000100', elapsedMs: 65_000 },
        { taskId: 'a1b2c3d4', status: 'done', prompt: 'add <retries> & backoff', repo: 'web', elapsedMs: 600_000 },
      ],
    });
    expectValid(msg);
    expect(preview(msg)).toMatchInlineSnapshot(`
      "text: Your recent tasks: 2
      [section] *Your recent tasks*
          🔄 <https://acme.slack.com/archives/C0FAKEGEN1/p1700000000000100|k3x9q2m1> Working · billing · 1m 05s
                fix the flaky date test
          ✅ \`a1b2c3d4\` Done · web · 10m 00s
                add &lt;retries&gt; &amp; backoff
      [context] \`/codex status &lt;task id&gt;\` shows one task in full."
    `);
  });

  it('handles none and many', () => {
    expect(renderTaskList({ tasks: [] }).text).toBe('You have no tasks yet. Start one with `/codex task &lt;prompt&gt;`.');
    const many = renderTaskList({ tasks: Array.from({ length: 40 }, (_, i) => ({ taskId: `t${i}`, status: 'queued' as const, prompt: HUGE_PROMPT, repo: 'r'.repeat(300), permalink: 'javascript:alert(1)' })) });
    expectValid(many);
    expect(allText(many)).toContain('… and 30 older.');
    expect(allText(many)).not.toMatch(/<javascript|<!channel>/);
  });
});
