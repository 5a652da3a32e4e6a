import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Workspace } from '../src/runner/index.js';
import { newTaskId } from '../src/tasks/task-record.js';
import { makeUpstream, removeDir, scratchDir } from './fixtures.js';
import { median, timed } from './stats.js';

/*
 * A task's checkout on a warm cache: Workspace.createCheckout (fetch into the repo's mirror, a
 * new task branch, a checkout whose .git borrows the mirror's objects) against a plain
 * `git clone` of the same upstream, and `git clone --no-local`, which copies objects the way a
 * clone over the network must (a plain clone of a local path hard-links them instead).
 */

const run = promisify(execFile);
const GIT = ['-c', 'safe.directory=*'];

export interface CheckoutResult {
  files: number;
  coldMs: number;
  warmMs: number;
  cloneMs: number;
  cloneNoLocalMs: number;
  runs: number;
}

export async function benchCheckout(runs: number, files: number): Promise<CheckoutResult> {
  const root = scratchDir('checkout');
  try {
    const upstream = makeUpstream(root, files);
    const workspace = new Workspace({ dataDir: join(root, 'data') });
    const repo = { name: 'bench', url: upstream, baseBranch: 'main' };
    const create = async () => {
      const r = await timed(() => workspace.createCheckout({ repo, taskId: newTaskId(), prompt: 'bench checkout' }));
      await workspace.removeCheckout(r.value);
      return r.ms;
    };
    const coldMs = await create();
    await create();
    const warm: number[] = [];
    const clone: number[] = [];
    const noLocal: number[] = [];
    for (let i = 0; i < runs; i++) {
      warm.push(await create());
      for (const [list, extra] of [[clone, []], [noLocal, ['--no-local']]] as const) {
        const target = join(root, `clone-${i}-${list.length}-${extra.length}`);
        list.push((await timed(() => run('git', [...GIT, 'clone', '-q', ...extra, upstream, target]))).ms);
        removeDir(target);
      }
    }
    return { files, coldMs, warmMs: median(warm), cloneMs: median(clone), cloneNoLocalMs: median(noLocal), runs };
  } finally {
    removeDir(root);
  }
}
