import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodexError, PathEscapeError } from '../../src/errors.js';
import { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { IMAGE, removeProjectContainers, sandboxWritableDir, testLimits, uniqueId } from './helpers.js';

const project = uniqueId('codex-test-files-');
const work = sandboxWritableDir('files');
let sandbox: DockerSandbox;

beforeAll(async () => {
  sandbox = new DockerSandbox({ taskId: uniqueId('task'), image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project, maxFileBytes: 1024 * 1024 });
  await sandbox.start();
  await sandbox.exec('mkdir -p real && echo inside > real/a.txt && ln -s / rootlink && ln -s /etc/passwd passwdlink && ln -s real innerlink && ln -s ../.. uplink');
});

afterAll(async () => {
  await sandbox.stop();
  await removeProjectContainers(project);
  work.cleanup();
});

async function refusal(op: Promise<unknown>): Promise<PathEscapeError> {
  const error = await op.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(PathEscapeError);
  expect((error as PathEscapeError).code).toBe('path_outside_workspace');
  return error as PathEscapeError;
}

describe('DockerSandbox files', () => {
  it('writes, reads, checks and deletes files of the checkout, creating parent directories', async () => {
    const text = 'héllo wörld ✓\nline two\n';
    await sandbox.writeFile('deep/er/file.txt', text);
    expect(await sandbox.readFile('deep/er/file.txt')).toBe(text);
    expect(await sandbox.readFile('./deep//er/file.txt')).toBe(text);
    expect(await sandbox.fileExists('deep/er/file.txt')).toBe(true);
    expect(await sandbox.fileExists('deep/er')).toBe(false);
    expect(await sandbox.fileExists('missing.txt')).toBe(false);
    await sandbox.deleteFile('deep/er/file.txt');
    expect(await sandbox.fileExists('deep/er/file.txt')).toBe(false);
  });

  it('passes large and awkward content intact through stdin', async () => {
    const big = `${'0123456789abcdef'.repeat(20_000)}\n$(touch pwned) \`id\` "quotes" 'single' \\ back\n`;
    await sandbox.writeFile('big.txt', big);
    expect(await sandbox.readFile('big.txt')).toBe(big);
    expect(await sandbox.fileExists('pwned')).toBe(false);
    await sandbox.writeFile('name with spaces & $dollar.txt', 'ok');
    expect(await sandbox.readFile('name with spaces & $dollar.txt')).toBe('ok');
  });

  it('follows symlinks that stay inside /workspace', async () => {
    expect(await sandbox.readFile('innerlink/a.txt')).toBe('inside\n');
  });

  it('refuses ../ and absolute paths on the host, before anything runs', async () => {
    const e = await refusal(sandbox.writeFile('../escape', 'x'));
    expect(e.message).toContain("'..' would leave /workspace");
    expect(existsSync(join(dirname(work.dir), 'escape'))).toBe(false);
    await refusal(sandbox.readFile('a/../../escape'));
    expect((await refusal(sandbox.readFile('/etc/passwd'))).message).toContain('absolute paths are not allowed');
    await refusal(sandbox.fileExists('/etc/passwd'));
    await refusal(sandbox.deleteFile('/etc/passwd'));
    await expect(sandbox.exec('pwd', { cwd: '../..' })).rejects.toBeInstanceOf(PathEscapeError);
  });

  it('refuses symlinks that leave /workspace, for every operation', async () => {
    const e = await refusal(sandbox.readFile('rootlink/etc/passwd'));
    expect(e.message).toMatch(/resolves to \/etc\/passwd outside \/workspace/);
    await refusal(sandbox.readFile('passwdlink'));
    await refusal(sandbox.readFile('rootlink'));
    await refusal(sandbox.readFile('uplink/etc/hostname'));
    await refusal(sandbox.writeFile('rootlink/tmp/planted', 'x'));
    await refusal(sandbox.writeFile('passwdlink', 'x'));
    await refusal(sandbox.fileExists('rootlink/etc/passwd'));
    await refusal(sandbox.deleteFile('rootlink/tmp/anything'));
    expect((await sandbox.exec('ls /tmp/planted 2>&1 || true')).stdout).toContain('No such file');
  });

  it('deletes a symlink itself rather than what it points at', async () => {
    await sandbox.exec('ln -sf /etc/hostname hostlink');
    await sandbox.deleteFile('hostlink');
    expect((await sandbox.exec('test -L hostlink || echo gone; test -f /etc/hostname && echo target-kept')).stdout).toBe('gone\ntarget-kept\n');
  });

  it('reports missing files, directories and oversized files with clear errors', async () => {
    const missing = await sandbox.readFile('nope.txt').catch((e: unknown) => e);
    expect(CodexError.isInstance(missing) && missing.code).toBe('sandbox_file_not_found');
    const dir = await sandbox.readFile('real').catch((e: unknown) => e);
    expect(CodexError.isInstance(dir) && dir.code).toBe('sandbox_not_a_file');
    await sandbox.exec('head -c 2000000 /dev/zero > huge.bin');
    const huge = await sandbox.readFile('huge.bin').catch((e: unknown) => e);
    expect(CodexError.isInstance(huge) && huge.code).toBe('sandbox_file_too_large');
    const gone = await sandbox.deleteFile('nope.txt').catch((e: unknown) => e);
    expect(CodexError.isInstance(gone) && gone.code).toBe('sandbox_file_not_found');
  });
});
