import { statfsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply, toolOutputs, type RecordedRequest, type ScriptReply } from '../fakes/model-server.js';
import { containersOf, FAKE_IDS, FIX_PATCH, type E2E, startE2E } from '../helpers/e2e.js';
import { shown, startTask, waitShows, waitStatus } from '../helpers/thread.js';

/*
 * limits.diskMb end to end, with the default limits (4096 MiB): a sandbox cannot make a file
 * larger than that (`truncate -s 20G` fails on the fsize ulimit), and a checkout that grows past
 * it another way (sparse files of 1 GiB, each allowed) ends the turn within a minute as failed,
 * with the reason in the thread and the card final, while another task of the same repo runs
 * to the end meanwhile.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

const GIB = 1024 ** 3;
const freeBytes = (path: string) => {
  const s = statfsSync(path);
  return s.bavail * s.bsize;
};

describe('limits.diskMb', () => {
  it('ends a turn whose checkout grows past the limit, with a clear message, and another task of the repo is not held up', { timeout: 150_000 }, async () => {
    const seen: { truncate?: string; parts?: string; freeDrop?: number } = {};
    let freeBefore = 0;
    const fill = (req: RecordedRequest): ScriptReply => {
      const step = toolOutputs(req).length;
      if (step === 0) return reply(functionCall('shell', { command: 'truncate -s 20G big.bin; echo "exit=$?"; stat -c "size=%s" big.bin' }));
      if (step === 1) {
        seen.truncate = lastToolOutput(req);
        return reply(functionCall('shell', { command: 'for i in $(seq 1 12); do truncate -s 1G part$i.bin || exit 1; done; echo "made $(ls part*.bin | wc -l) parts"' }));
      }
      if (step === 2) {
        seen.parts = lastToolOutput(req);
        seen.freeDrop = freeBefore - freeBytes(e!.dataDir);
      }
      // And it keeps working, as a runaway agent would.
      return reply(functionCall('shell', { command: 'sleep 25; echo still here', timeout_ms: 30_000 }));
    };
    const fix = (req: RecordedRequest): ScriptReply => (toolOutputs(req).length === 0 ? reply(functionCall('apply_patch', { input: FIX_PATCH })) : reply(message('Fixed add.')));
    e = await startE2E({ script: (req) => (JSON.stringify(req.body?.input ?? '').includes('fill the disk') ? fill(req) : fix(req)) });
    freeBefore = freeBytes(e.upstream);

    const a = await startTask(e, 'fill the disk');
    // Started while the first task works, on the same repo (WORKER_CONCURRENCY is 2).
    await e.fake.waitFor(() => e!.model.requests.some((r) => toolOutputs(r).length >= 1 && JSON.stringify(r.body.input).includes('fill the disk')), 60_000);
    const b = await startTask(e, 'fix add');

    const failed = await waitStatus(e, a.taskId, 'failed', 90_000);
    expect(failed.error?.code).toBe('workspace_too_large');
    expect(seen.truncate).toContain('exit=153'); // 128 + SIGXFSZ: the fsize ulimit
    expect(seen.truncate).toContain('size=0');
    expect(seen.parts).toContain('made 12 parts');
    // Sparse files: twelve GiB of apparent size, next to nothing on the disk.
    expect(seen.freeDrop!).toBeLessThan(GIB);

    // The reason is in the thread, and the card is final.
    const note = await e.fake.waitFor(() => e!.fake.thread(FAKE_IDS.channel, a.card.ts).find((m) => shown(m).includes('limits.diskMb')), 30_000);
    expect(shown(note)).toContain('grew past its limit of 4.0 GiB');
    expect(shown(note)).toContain('Nothing from this turn was saved');
    await waitShows(e, FAKE_IDS.channel, a.card.ts, 'Failed');
    // Nothing was committed; the sandbox and the checkout are gone.
    expect(e.mirrorGit('rev-list', '--count', `${failed.branch}`, '^refs/remotes/origin/main')).toBe('0');
    expect(await containersOf(a.taskId)).toEqual([]);

    const done = await waitStatus(e, b.taskId, 'done', 60_000);
    expect(e.mirrorGit('show', `${done.branch}:src/math.js`)).toContain('return a + b;');
  });
});
