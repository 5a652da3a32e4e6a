import { afterEach, describe, expect, it } from 'vitest';
import { CodexError } from '../../src/errors.js';
import { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { sandboxWritableDir, testLimits, uniqueId } from './helpers.js';

/* A sandbox that cannot start says why, and what to do, in words a person can act on. */

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('DockerSandbox start', () => {
  it('names a missing image and how to build the default one', async () => {
    const work = sandboxWritableDir('sbx-start');
    cleanups.push(work.cleanup);
    const sandbox = new DockerSandbox({ taskId: uniqueId('task'), image: `codex-missing-${uniqueId('img')}:latest`, workspaceDir: work.dir, limits: testLimits(), project: uniqueId('proj') });
    cleanups.push(() => sandbox.stop());
    const error = await sandbox.start().catch((e: unknown) => e);
    expect(CodexError.isInstance(error)).toBe(true);
    expect((error as CodexError).code).toBe('sandbox_start_failed');
    expect((error as CodexError).userMessage).toMatch(/codex-missing-.* is not on the worker's Docker engine/);
    expect((error as CodexError).userMessage).toContain('npm run sandbox:build');
  });
});
