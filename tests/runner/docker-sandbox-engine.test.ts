import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodexError } from '../../src/errors.js';
import { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { startPrivateDocker, type PrivateDocker } from '../helpers/private-docker.js';
import { IMAGE, sandboxWritableDir, testLimits, uniqueId } from './helpers.js';

/*
 * A sandbox whose Docker engine goes away (on an engine of the test's own: the shared one is
 * never restarted). Back within the wait: a command that could not reach it runs once it is
 * back, on the same files. Gone for longer: the command fails with `docker_unavailable` and a
 * sentence saying to reply once Docker runs again; the container is removed once it is back.
 */

let engine: PrivateDocker;
const work = sandboxWritableDir('engine');

beforeAll(async () => {
  engine = await startPrivateDocker({ images: [IMAGE] });
}, 180_000);

afterAll(async () => {
  await engine?.stop();
  work.cleanup();
});

const sandboxOn = (engineWaitMs: number) => new DockerSandbox({ taskId: uniqueId('task'), image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project: uniqueId('codex-test-engine-'), docker: engine.docker, engineWaitMs });

describe('DockerSandbox when its engine goes away', () => {
  it('runs a command that could not reach the engine once the engine is back, on the same files', { timeout: 120_000 }, async () => {
    const sandbox = sandboxOn(60_000);
    await sandbox.exec('echo kept > kept.txt');
    await engine.down();
    const running = sandbox.exec('cat kept.txt');
    await new Promise((r) => setTimeout(r, 1000));
    await engine.up();
    expect(await running).toMatchObject({ exitCode: 0, stdout: 'kept\n' });
    await sandbox.stop();
    expect(await engine.docker.listContainers({ all: true })).toEqual([]);
  });

  it('gives up after its wait with a sentence saying to reply, and leaves nothing once the engine is back', { timeout: 120_000 }, async () => {
    const sandbox = sandboxOn(2_000);
    await sandbox.exec('true');
    await engine.down();
    const failure = await sandbox.exec('true').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(CodexError.isInstance(failure) && failure.code).toBe('docker_unavailable');
    expect((failure as CodexError).userMessage).toMatch(/^The Docker engine on the worker stopped while this turn ran and did not come back within 2 seconds, .*Reply in this thread to try again/);
    await engine.up();
    await sandbox.stop();
    expect(await engine.docker.listContainers({ all: true })).toEqual([]);
  });
});
