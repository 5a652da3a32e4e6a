import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodexError, PathEscapeError } from '../../src/errors.js';
import { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { SandboxFiles, type ScriptRunner } from '../../src/runner/sandbox-files.js';
import { preparePatch, writePatch } from '../../src/agent/patch/sandbox-patch.js';
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

  it('refuses to read binary and non-UTF-8 files as text, and keeps a byte-order mark', async () => {
    await sandbox.exec(`printf 'PNG\\0\\1\\2' > image.bin && printf 'caf\\351 cr\\350me\\n' > latin1.txt`);
    const binary = await sandbox.readFile('image.bin').catch((e: unknown) => e);
    expect(CodexError.isInstance(binary) && binary.code).toBe('sandbox_file_binary');
    const latin1 = await sandbox.readFile('latin1.txt').catch((e: unknown) => e);
    expect(CodexError.isInstance(latin1) && latin1.code).toBe('sandbox_file_not_utf8');
    await sandbox.writeFile('bom.txt', '\uFEFFwith a BOM\n');
    expect(await sandbox.readFile('bom.txt')).toBe('\uFEFFwith a BOM\n');
    expect((await sandbox.exec('head -c 3 bom.txt | od -An -tx1')).stdout.trim()).toBe('ef bb bf');
  });

  it('treats a read cut by the output cap as an error, not as the file', async () => {
    await sandbox.exec('seq 1 2000 > lines.txt');
    // The real script runner, with a cap below what the size check let through: the output is cut.
    const run = (sandbox as unknown as { runScript: ScriptRunner }).runScript.bind(sandbox);
    const files = new SandboxFiles((script, args, stdin) => run(script, args, stdin, 1000), 1024 * 1024);
    const cut = await files.read('lines.txt').catch((e: unknown) => e);
    expect(CodexError.isInstance(cut) && cut.code).toBe('sandbox_file_too_large');
  });

  it('writes atomically: keeps the mode, leaves no temporary file, and keeps the old file when a write fails', async () => {
    await sandbox.exec('printf "#!/bin/sh\\necho old\\n" > run.sh && chmod 755 run.sh');
    await sandbox.writeFile('run.sh', '#!/bin/sh\necho new\n');
    expect((await sandbox.exec('stat -c %a run.sh && ./run.sh && ls -a | grep -c codex-write || true')).stdout).toBe('755\nnew\n0\n');
    // A write that cannot land (its directory is a file) fails without touching anything.
    await sandbox.exec('echo keep > blocker');
    await expect(sandbox.writeFile('blocker/inner.txt', 'x')).rejects.toBeInstanceOf(CodexError);
    expect(await sandbox.readFile('blocker')).toBe('keep\n');
  });

  it('apply_patch writes before it deletes: a move whose write fails loses nothing', async () => {
    await sandbox.exec('printf "only copy\\n" > moved.txt && echo file > notadir');
    const plan = await preparePatch(sandbox, '*** Begin Patch\n*** Update File: moved.txt\n*** Move to: notadir/moved.txt\n@@\n-only copy\n+only copy, moved\n*** End Patch');
    await expect(writePatch(sandbox, plan)).rejects.toBeInstanceOf(CodexError);
    expect(await sandbox.readFile('moved.txt')).toBe('only copy\n');
  });

  it('apply_patch refuses to edit a non-UTF-8 file and leaves its bytes alone, but may delete a binary file', async () => {
    await sandbox.exec(`printf 'caf\\351\\nline two\\n' > legacy.txt && printf 'GIF\\0' > pic.gif`);
    const before = (await sandbox.exec('sha256sum legacy.txt')).stdout;
    const refused = await preparePatch(sandbox, '*** Begin Patch\n*** Update File: legacy.txt\n@@\n-line two\n+line 2\n*** End Patch').catch((e: unknown) => e);
    expect(CodexError.isInstance(refused) && refused.code).toBe('sandbox_file_not_utf8');
    expect((await sandbox.exec('sha256sum legacy.txt')).stdout).toBe(before);
    const del = await preparePatch(sandbox, '*** Begin Patch\n*** Delete File: pic.gif\n*** End Patch');
    await writePatch(sandbox, del);
    expect(await sandbox.fileExists('pic.gif')).toBe(false);
  });
});
