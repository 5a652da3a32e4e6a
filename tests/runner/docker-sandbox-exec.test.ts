import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { IMAGE, docker, removeProjectContainers, sandboxWritableDir, testLimits, uniqueId } from './helpers.js';

const project = uniqueId('codex-test-exec-');
const work = sandboxWritableDir('exec');
let sandbox: DockerSandbox;

beforeAll(async () => {
  sandbox = new DockerSandbox({ taskId: uniqueId('task'), image: IMAGE, workspaceDir: work.dir, limits: testLimits({ commandTimeoutSec: 2, maxCommandTimeoutSec: 3 }), project });
  await sandbox.start();
});

afterAll(async () => {
  await sandbox.stop();
  await removeProjectContainers(project);
  work.cleanup();
});

/** Sleeps started by the tests (the container's own `sleep infinity` is its main process). */
const noSleep = async () => (await sandbox.exec('ps -eo args=')).stdout.split('\n').filter((c) => /^sleep 10\d$/.test(c.trim()));

describe('DockerSandbox.exec', () => {
  it('returns stdout, stderr and the exit code exactly', async () => {
    const r = await sandbox.exec(`printf 'out line\\n'; printf 'err line\\n' >&2; exit 7`);
    expect(r).toMatchObject({ exitCode: 7, stdout: 'out line\n', stderr: 'err line\n', timedOut: false, aborted: false, truncated: false });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('runs in /workspace or the given cwd, with per-command env and optional stdin', async () => {
    expect((await sandbox.exec('pwd')).stdout).toBe('/workspace\n');
    await sandbox.exec('mkdir -p sub/dir');
    expect((await sandbox.exec('pwd', { cwd: 'sub/dir' })).stdout).toBe('/workspace/sub/dir\n');
    expect(await sandbox.exec('pwd', { cwd: 'missing' })).toMatchObject({ exitCode: 1, stderr: 'no such directory: /workspace/missing\n' });
    expect(await sandbox.fileExists('missing')).toBe(false);
    expect((await sandbox.exec('echo "$GREETING"', { env: { GREETING: 'hi there' } })).stdout).toBe('hi there\n');
    expect((await sandbox.exec('tr a-z A-Z', { stdin: 'from stdin' })).stdout).toBe('FROM STDIN');
    // Without stdin the command reads end of file at once instead of hanging.
    expect((await sandbox.exec('cat; echo done')).stdout).toBe('done\n');
  });

  it('kills a command at its timeout, leaves no process behind, and stays usable', async () => {
    const started = Date.now();
    const r = await sandbox.exec('sleep 100', { timeoutMs: 1000 });
    expect(r.timedOut).toBe(true);
    expect(r.aborted).toBe(false);
    expect(r.exitCode).toBe(137);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await noSleep()).toEqual([]);
    expect((await sandbox.exec('echo still here')).stdout).toBe('still here\n');
  });

  it('kills background children of the command too (the whole process group)', async () => {
    const r = await sandbox.exec('sleep 100 & sleep 101 & wait', { timeoutMs: 1000 });
    expect(r.timedOut).toBe(true);
    expect(await noSleep()).toEqual([]);
  });

  it('restarts the container when the command cannot be killed in place, keeping the checkout', async () => {
    // The command deletes the file that names its process group, so the in-place kill has
    // nothing to aim at; the fallback restarts the container. The checkout is on the bind
    // mount and survives.
    await sandbox.writeFile('kept.txt', 'still here');
    const r = await sandbox.exec('rm -f /tmp/.codex-exec-*; sleep 100', { timeoutMs: 1000 });
    expect(r.timedOut).toBe(true);
    expect(await noSleep()).toEqual([]);
    expect(await sandbox.readFile('kept.txt')).toBe('still here');
  });

  it('uses the default timeout from the limits and caps a longer request at the maximum', async () => {
    const byDefault = await sandbox.exec('sleep 100');
    expect(byDefault.timedOut).toBe(true);
    const started = Date.now();
    const capped = await sandbox.exec('sleep 100', { timeoutMs: 100_000 });
    expect(capped.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('keeps the head and tail of 50 MB of output with a marker, without buffering it all', async () => {
    const r = await sandbox.exec('echo START; head -c 52428800 /dev/zero | tr "\\0" x; echo; echo END', { timeoutMs: 3000 });
    expect(r.exitCode).toBe(0);
    expect(r.truncated).toBe(true);
    expect(r.stdout.startsWith('START\nxxxx')).toBe(true);
    expect(r.stdout.endsWith('xxxx\nEND\n')).toBe(true);
    expect(r.stdout).toMatch(/output truncated: \d+ bytes \(\d+\.\d MiB\) cut from the middle of 52428811 bytes/);
    expect(Buffer.byteLength(r.stdout)).toBeLessThan(64 * 1024 + 200);
    expect(r.stderr).toBe('');
  });

  it('stops a command on abort, kills its process group, and runs the next command', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const r = await sandbox.exec('sleep 100 & sleep 100; wait', { signal: controller.signal, timeoutMs: 3000 });
    expect(r.aborted).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(await noSleep()).toEqual([]);
    expect((await sandbox.exec('echo next')).stdout).toBe('next\n');
  });

  it('does not run a command whose signal is already aborted', async () => {
    const r = await sandbox.exec('touch ran', { signal: AbortSignal.abort() });
    expect(r.aborted).toBe(true);
    expect(await sandbox.fileExists('ran')).toBe(false);
  });

  it('starts its container again when it died (e.g. killed by the OOM killer)', async () => {
    await docker.getContainer(sandbox.id).kill();
    const r = await sandbox.exec('echo back');
    expect(r).toMatchObject({ exitCode: 0, stdout: 'back\n' });
  });
});
