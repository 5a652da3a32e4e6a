import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply, userMessages } from '../fakes/model-server.js';
import type { FakeMessage } from '../fakes/slack-server.js';
import { messageEvent } from '../fakes/slack-signing.js';
import { FAKE_IDS, FIX_PATCH, startE2E, type E2E } from '../helpers/e2e.js';
import { startGitHubE2E } from '../helpers/github-e2e.js';
import { click, ephemeralsFor, replyInThread, startTask, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * Slack Code channels (config slack.codeChannels): one channel per task, made from the task's
 * root message; its context bar, diff and pull request views, the thread's messages and the
 * session's status and title; steering, approvals and Stop there reach the task as in the
 * thread; archived when the task's retention ends; the thread works alone when Slack refuses.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const { channel, owner, other } = FAKE_IDS;
const CODE = { slack: { codeChannels: true } };
const kindOf = (m: FakeMessage) => m.metadata?.event_type.replace('codex_task_', '');

/** A person's top-level message in a code channel, delivered like Slack's message.session event. */
async function say(e: E2E, codeChannel: string, user: string, text: string): Promise<void> {
  const m = e.fake.injectMessage({ channel: codeChannel, user, text });
  const res = await e.sender.event(messageEvent(m));
  if (res.status !== 200) throw new Error(`message event answered ${res.status}: ${res.body}`);
}

describe('Slack Code channels', () => {
  it('makes one channel per task with its context bar, diff view, messages and session; approvals and replies there reach the task; archived when its retention ends', { timeout: 150_000 }, async () => {
    e = await startE2E({
      repoConfig: CODE,
      repo: { approval: { mode: 'never', commandPatterns: ['^touch '], timeoutMinutes: 5 } },
      archiveSweepMs: 300,
      script: [
        reply(message('Fixing add.'), functionCall('apply_patch', { input: FIX_PATCH })),
        reply(functionCall('shell', { command: 'touch x' })),
        reply(message('Fixed add.')),
        (req) => reply(message(`Follow-up read: ${userMessages(req).at(-1)?.slice(0, 60) ?? ''}`)),
      ],
    });
    const { taskId, card } = await startTask(e, 'fix add');
    const code = await e.fake.waitFor(() => e!.fake.codeChannels()[0], 20_000);
    expect(code).toMatchObject({ origin: { channel, ts: card.ts }, sessionId: taskId });
    // The mapping is stored once Slack has answered the create.
    expect(await e.fake.waitFor(async () => await e!.redis.get(`${e!.prefix}:code-channel:${code.id}`), 10_000)).toBe(taskId);

    // The approval prompt is in the code channel too, with its buttons: a click there decides it.
    const prompt = await e.fake.waitFor(() => e!.fake.messages(code.id).find((m) => kindOf(m) === 'approval'), 60_000);
    await click(e, prompt, 'codex_approve', owner);
    const record = await waitStatus(e, taskId, 'done', 60_000);
    await waitEvent(e, taskId, 'approval_resolved', (ev) => ev.decision === 'accept' && ev.by === owner);

    // The diff view, the summary (marked as the session's), the context bar and the session.
    await e.fake.waitFor(() => e!.fake.codeChannels()[0]!.summaryMessageTs, 20_000);
    const after = e.fake.codeChannels()[0]!;
    expect(after.views.get('diff')).toMatchObject({ type: 'diff', base_branch: 'main', head_branch: record.branch, content: expect.stringContaining('+  return a + b;') });
    const summary = e.fake.messages(code.id).find((m) => kindOf(m) === 'summary');
    expect(after.summaryMessageTs).toBe(summary?.ts);
    expect(JSON.stringify(summary?.blocks) + summary?.text).toContain('Fixed add.');
    await e.fake.waitFor(() => e!.fake.codeChannels()[0]!.contextBar.some((i) => i.key === 'status' && i.label === 'Done'), 10_000);
    expect(e.fake.codeChannels()[0]!.contextBar).toEqual([
      { key: 'repo', label: 'calc', icon: 'folder', item_type: 'info' },
      { key: 'branch', label: record.branch, icon: 'branch', item_type: 'info' },
      { key: 'status', label: 'Done', icon: 'terminal', item_type: 'info' },
    ]);
    expect(after.statusHistory[0]).toBe('processing');
    expect(after.statusHistory.at(-1)).toBe('active');
    // The settled prompt in the code channel says who approved, without buttons.
    await e.fake.waitFor(() => !JSON.stringify(e!.fake.message(code.id, prompt.ts)?.blocks).includes('codex_approve'), 10_000);

    // A message in the code channel is a reply to the task: a follow-up turn, and the titles follow it.
    await say(e, code.id, owner, 'also document add');
    await e.fake.waitFor(async () => (await e!.store.getTask(taskId))?.turn === 2 && (await e!.store.getTask(taskId))?.status === 'done', 60_000);
    expect(userMessages(e.model.requests.at(-1)!).join('\n')).toContain('also document add');
    await e.fake.waitFor(() => e!.fake.codeChannels()[0]!.title === 'also document add', 10_000);
    expect(e.fake.session(channel, card.ts)?.titles).toEqual(['fix add', 'also document add']);
    // The thread got everything as before: both summaries.
    expect(e.fake.thread(channel, card.ts).filter((m) => kindOf(m) === 'summary')).toHaveLength(2);
    expect(e.fake.codeChannels()).toHaveLength(1);

    // Retention: once the ended task's record expires, its code channel is archived. Thirty days
    // pass here: the record expires, and the channel's first look at it (link + retention) is due.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(e.fake.codeChannels()[0]!.archived).toBe(false);
    await e.redis.pexpire(`${e.prefix}:task:${taskId}`, 1);
    await e.redis.zadd(`${e.prefix}:code-channels`, 'XX', '0', code.id);
    await e.fake.waitFor(() => e!.fake.codeChannels()[0]!.archived, 20_000);
    await e.fake.waitFor(async () => (await e!.redis.exists(`${e!.prefix}:code-channel:${code.id}`)) === 0, 15_000);
    expect(e.fake.callsTo('agents.conversations.archive').filter((c) => c.response.ok)).toHaveLength(1);
  });

  it("takes Slack's native Stop in the code channel from the owner, not from a stranger", { timeout: 90_000 }, async () => {
    e = await startE2E({
      repoConfig: CODE,
      script: [reply(functionCall('shell', { command: 'sleep 30' })), (req) => reply(message(`Stopped: ${lastToolOutput(req).slice(0, 40)}`))],
    });
    const { taskId } = await startTask(e, 'wait a while');
    await waitEvent(e, taskId, 'command_started');
    const code = await e.fake.waitFor(() => e!.fake.codeChannels()[0]?.status === 'processing' && e!.fake.codeChannels()[0], 20_000);
    // A stranger's message there steers nothing: they are told, there.
    await say(e, code.id, other, 'do something else');
    await e.fake.waitFor(() => e!.fake.ephemerals.find((x) => x.user === other && x.channel === code.id && x.text.includes('steer')), 15_000);
    expect((await e.store.readOps(taskId, '0')).filter((o) => o.op.type === 'steer')).toEqual([]);
    const stop = (user: string) => e!.sender.event({ type: 'agent_session_stopped', channel: code.id, user, streaming_message_ts: [] });
    await stop(other);
    await e.fake.waitFor(() => ephemeralsFor(e!, other).find((t) => t.includes('stop')), 15_000);
    expect(e.fake.ephemerals.filter((x) => x.user === other).map((x) => [x.channel, x.thread_ts])).toEqual([
      [code.id, undefined],
      [code.id, undefined],
    ]);
    expect((await e.store.readOps(taskId, '0')).filter((o) => o.op.type === 'interrupt')).toEqual([]);
    await stop(owner);
    await waitEvent(e, taskId, 'task_interrupted');
    await e.fake.waitFor(() => e!.fake.codeChannels()[0]!.status === 'active', 10_000);
  });

  it('shows the pull request delivery opened as a view and in the context bar, with its state', { timeout: 150_000 }, async () => {
    const notes = '*** Begin Patch\n*** Add File: NOTES.md\n+notes\n*** End Patch';
    const withGitHub = await startGitHubE2E({
      repoConfig: CODE,
      script: [reply(functionCall('apply_patch', { input: FIX_PATCH })), reply(message('Fixed add.')), reply(functionCall('apply_patch', { input: notes })), reply(message('Notes.'))],
    });
    e = withGitHub;
    const { github } = withGitHub;
    const { taskId, card } = await startTask(e, '--pr fix add');
    const opened = await waitEvent(e, taskId, 'pull_request_opened', undefined, 60_000);
    await waitStatus(e, taskId, 'done', 60_000);
    const prItem = { key: 'pull-request', label: `PR #${opened.number} · open`, icon: 'link', url: opened.url, item_type: 'info' };
    await e.fake.waitFor(() => e!.fake.codeChannels()[0]?.contextBar.some((i) => i.key === 'pull-request'), 20_000);
    expect(e.fake.codeChannels()[0]!.contextBar).toContainEqual(prItem);
    expect([...e.fake.codeChannels()[0]!.views.values()].find((v) => v.type === 'pull_request')).toMatchObject({ pr_url: opened.url });
    // Merged on GitHub before a follow-up: the bar says so.
    github.closePull('acme', 'calc', opened.number, true);
    await replyInThread(e, card.ts, owner, 'add notes');
    await waitEvent(e, taskId, 'pull_request_closed', undefined, 60_000);
    await e.fake.waitFor(() => e!.fake.codeChannels()[0]!.contextBar.some((i) => i.key === 'pull-request' && i.label === `PR #${opened.number} · merged`), 30_000);
  });

  it('shows a diff over 1 MB cut, with a last line saying so', { timeout: 90_000 }, async () => {
    e = await startE2E({ repoConfig: CODE, script: [reply(functionCall('shell', { command: 'seq 1 200000 > big.txt' })), reply(message('Wrote big.txt.'))] });
    const { taskId } = await startTask(e, 'write a big file');
    await waitStatus(e, taskId, 'done', 60_000);
    const view = await e.fake.waitFor(() => e!.fake.codeChannels()[0]?.views.get('diff'), 20_000);
    const content = String(view.content);
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(1_000_000);
    expect(content).toContain('+1\n');
    expect(content).not.toContain('+200000\n');
    expect(content.trimEnd().split('\n').at(-1)).toMatch(/^# … diff truncated: \d+ of \d+ bytes shown; the whole diff is attached in the task's thread\.$/);
    expect(e.fake.callsTo('agents.conversations.setView').filter((c) => c.response.error === 'content_too_large')).toEqual([]);
  });

  it('makes one channel however often the create is retried (its answer lost once)', { timeout: 90_000 }, async () => {
    e = await startE2E({ repoConfig: CODE, script: [reply(message('Looking.'), functionCall('shell', { command: 'sleep 1; echo ok' })), reply(message('Fixed add.'))] });
    // Slack makes the channel, but its answer never arrives.
    e.fake.serverError('agents.conversations.create', { forMs: 400, afterHandling: true });
    const { taskId } = await startTask(e, 'fix add');
    await waitStatus(e, taskId, 'done', 60_000);
    await e.fake.waitFor(() => e!.fake.codeChannels()[0]?.summaryMessageTs, 20_000);
    const creates = e.fake.callsTo('agents.conversations.create');
    expect(creates[0]!.status).toBe(503);
    expect(creates.at(-1)).toMatchObject({ status: 200, response: { ok: true, channel_id: e.fake.codeChannels()[0]!.id } });
    expect(e.fake.codeChannels()).toHaveLength(1);
  });

  it('leaves the thread working alone when the token lacks code_channels:manage', { timeout: 90_000 }, async () => {
    const scopes = ['app_mentions:read', 'assistant:write', 'channels:history', 'chat:write', 'commands', 'files:read', 'files:write', 'groups:history', 'im:history', 'mpim:history', 'reactions:write'];
    e = await startE2E({ repoConfig: CODE, slackScopes: scopes, script: [reply(message('Fixing add.'), functionCall('apply_patch', { input: FIX_PATCH })), reply(message('Fixed add.'))] });
    const { taskId, card } = await startTask(e, 'fix add');
    await waitStatus(e, taskId, 'done', 60_000);
    await e.fake.waitFor(() => e!.fake.thread(channel, card.ts).find((m) => kindOf(m) === 'summary'), 20_000);
    expect(e.fake.callsTo('agents.conversations.create').map((c) => c.response.error)).toEqual(['missing_scope']);
    expect(e.fake.codeChannels()).toEqual([]);
    // Nothing else was tried for the task once the channel could not be made.
    expect(e.fake.calls.filter((c) => c.method.startsWith('agents.conversations.') && c.method !== 'agents.conversations.create')).toEqual([]);
  });

  it('makes no code channel with slack.codeChannels off (the default)', { timeout: 60_000 }, async () => {
    e = await startE2E({ script: [reply(message('Done.'))] });
    const { taskId } = await startTask(e, 'plain task');
    await waitStatus(e, taskId, 'done', 30_000);
    expect(e.fake.calls.filter((c) => c.method.startsWith('agents.conversations.'))).toEqual([]);
  });
});
