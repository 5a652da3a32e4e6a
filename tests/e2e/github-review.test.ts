import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { message, reply, userMessages } from '../fakes/model-server.js';
import { FAKE_IDS, git, slash, startE2E, type E2E } from '../helpers/e2e.js';
import { startGitHubE2E, type GitHubE2E } from '../helpers/github-e2e.js';
import { click, shown, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * `/codex review`: a read-only turn over a change with its diff in the model's input; findings
 * in the thread, most severe first; on a pull request, a submitted GitHub review with line
 * comments on lines of the diff; "Fix these" starts a task on the reviewed branch.
 */

let e: GitHubE2E | E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const FINDINGS = {
  verdict: 'request_changes',
  summary: 'The fix works but multiplies by accident.',
  findings: [
    { severity: 'low', file: 'README.md', line: 1, title: 'Mention the new behaviour', body: 'Document mul.' },
    { severity: 'high', file: 'src/math.js', line: 5, title: 'mul adds instead of multiplying', body: 'Use a * b.' },
  ],
};

describe('/codex review', () => {
  it('reviews a pull request with its diff, posts findings in a thread and as a submitted GitHub review, changes nothing, and Fix these starts a task on its branch', { timeout: 150_000 }, async () => {
    const g = await startGitHubE2E({
      script: [reply(message(`Reviewed.\n\n\`\`\`json\n${JSON.stringify(FINDINGS)}\n\`\`\``)), reply(message('Fixed mul.'))],
    });
    e = g;
    // Someone's feature branch and its pull request on GitHub.
    git(e.upstream, 'checkout', '-q', '-b', 'feature/mul');
    writeFileSync(join(e.upstream, 'src/math.js'), 'export function add(a, b) {\n  return a + b;\n}\nexport function mul(a, b) {\n  return a + b;\n}\n');
    git(e.upstream, 'commit', '-qam', 'add mul');
    git(e.upstream, 'checkout', '-q', 'main');
    const pr = g.github.createPull('acme', 'calc', { head: 'feature/mul', base: 'main', title: 'Add mul' });
    const refsBefore = git(e.upstream, 'for-each-ref');

    const ack = await slash(e, `review https://github.example/acme/calc/pull/${pr.number}`);
    expect(ack.status).toBe(200);
    const card = await e.fake.waitFor(() => e!.fake.messages(FAKE_IDS.channel).find((m) => m.metadata?.event_type === 'codex_task_status'), 10_000);
    const taskId = card.metadata!.event_payload.task_id as string;
    const review = await waitEvent(e, taskId, 'review_completed', undefined, 60_000);
    const task = await waitStatus(e, taskId, 'done');

    // The model saw the whole change.
    const first = userMessages(e.model.requests[0]!).join('\n');
    expect(first).toContain('+export function mul(a, b) {');
    expect(first).toContain('-  return a - b;');
    // Findings, most severe first, in the thread.
    expect(review.findings.map((f) => f.severity)).toEqual(['high', 'low']);
    const posted = await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, card.ts).find((m) => shown(m).includes('Changes needed')));
    expect(shown(posted).indexOf('src/math.js:5')).toBeLessThan(shown(posted).indexOf('README.md:1'));
    // A submitted review: the finding on a line of the diff as a line comment, the other in the body.
    expect(pr.reviews).toHaveLength(1);
    expect(pr.reviews[0]).toMatchObject({ event: 'COMMENT', state: 'COMMENTED', commit_id: pr.headSha });
    expect(pr.reviews[0]!.comments).toEqual([expect.objectContaining({ path: 'src/math.js', line: 5 })]);
    expect(pr.reviews[0]!.body).toContain('Mention the new behaviour');
    expect(review.reviewUrl).toContain(`/pull/${pr.number}#pullrequestreview-`);
    // Nothing committed or pushed.
    const completed = (await e.store.readEvents(taskId)).find((ev) => ev.type === 'task_completed');
    expect(completed).toMatchObject({ diffStat: { files: [] } });
    expect(completed && 'commit' in completed && completed.commit).toBeFalsy();
    expect(task.status).toBe('done');
    expect(git(e.upstream, 'for-each-ref')).toBe(refsBefore);
    expect(g.github.pulls('acme', 'calc')).toHaveLength(1);

    await click(e, posted, 'codex_fix_findings', FAKE_IDS.owner);
    const fixCard = await e.fake.waitFor(() => e!.fake.messages(FAKE_IDS.channel).find((m) => m.metadata?.event_type === 'codex_task_status' && m.ts !== card.ts), 10_000);
    const fix = (await e.store.getTask(fixCard.metadata!.event_payload.task_id as string))!;
    expect(fix.baseBranch).toBe('feature/mul');
    expect(fix.prompt).toMatch(/^Fix these review findings on feature\/mul:\n1\. \[high\] src\/math\.js:5: mul adds instead of multiplying/);
    await waitStatus(e, fix.id, 'done');
  });

  it('reviews a branch by name, without GitHub, and refuses a pull request on a repo that is not on GitHub', { timeout: 90_000 }, async () => {
    e = await startE2E({ script: [reply(message(`All fine.\n\n\`\`\`json\n${JSON.stringify({ verdict: 'approve', summary: 'Fine.', findings: [] })}\n\`\`\``))] });
    git(e.upstream, 'checkout', '-q', '-b', 'topic');
    writeFileSync(join(e.upstream, 'NOTES.md'), 'notes\n');
    git(e.upstream, 'add', '-A');
    git(e.upstream, 'commit', '-qm', 'notes');
    git(e.upstream, 'checkout', '-q', 'main');
    const refused = await slash(e, 'review 7');
    expect(refused.body).toMatch(/Pull requests need a repo on GitHub/);
    await slash(e, 'review topic');
    const card = await e.fake.waitFor(() => e!.fake.messages(FAKE_IDS.channel).find((m) => m.metadata?.event_type === 'codex_task_status'), 10_000);
    const taskId = card.metadata!.event_payload.task_id as string;
    const review = await waitEvent(e, taskId, 'review_completed', undefined, 60_000);
    expect(review).toMatchObject({ verdict: 'approve', head: 'topic', base: 'main', findings: [] });
    expect(userMessages(e.model.requests[0]!).join('\n')).toContain('+notes');
    const posted = await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, card.ts).find((m) => shown(m).includes('Looks good')));
    expect(shown(posted)).not.toContain('Fix these');
  });
});
