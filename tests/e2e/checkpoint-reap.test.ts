import { afterEach, describe, expect, it } from 'vitest';
import { message, reply } from '../fakes/model-server.js';
import { git, startE2E, type E2E } from '../helpers/e2e.js';
import { startTask, waitStatus } from '../helpers/thread.js';

/*
 * A turn on a repo with pushBranches pushes its checkpoints upstream and deletes them when it
 * ends; one whose worker died (the sweep then failed its task) leaves its ref there. The
 * workers' reaper deletes upstream the refs of tasks this installation knows have ended, and
 * leaves every other ref alone (the upstream may be shared).
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

describe('pushed checkpoints of ended tasks', () => {
  it('are deleted upstream by the reaper; refs of tasks it does not know stay', { timeout: 90_000 }, async () => {
    e = await startE2E({ script: [reply(message('Done.'))], repo: { pushBranches: true } });
    const { taskId } = await startTask(e, 'a task whose checkpoint ref is left behind');
    await waitStatus(e, taskId, 'done');
    // What a worker that died mid-turn leaves upstream, beside a ref of some other installation.
    const head = git(e.upstream, 'rev-parse', 'main');
    git(e.upstream, 'update-ref', `refs/codex/checkpoints/${taskId}`, head);
    git(e.upstream, 'update-ref', 'refs/codex/checkpoints/someoneelse1', head);
    const refs = () => git(e!.upstream, 'for-each-ref', '--format=%(refname)', 'refs/codex/checkpoints/').split('\n').filter(Boolean);
    expect(refs()).toHaveLength(2);

    await e.codex.worker!.reapPushedCheckpoints();
    expect(refs()).toEqual(['refs/codex/checkpoints/someoneelse1']);
    expect(git(e.upstream, 'rev-parse', 'main')).toBe(head);
    // Once nothing is left to delete, a reap changes nothing.
    await e.codex.worker!.reapPushedCheckpoints();
    expect(refs()).toEqual(['refs/codex/checkpoints/someoneelse1']);
  });
});
