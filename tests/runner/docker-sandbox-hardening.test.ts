import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { LABEL_PROJECT, LABEL_ROLE, LABEL_TASK_ID } from '../../src/runner/labels.js';
import { IMAGE, docker, removeProjectNetworks, sandboxWritableDir, testLimits, uniqueId } from './helpers.js';

const project = uniqueId('codex-test-hard-');
const taskId = uniqueId('task');
const work = sandboxWritableDir('hardening');
const limits = testLimits({ memoryMb: 256, cpus: 0.5, pids: 64, diskMb: 8 });
let sandbox: DockerSandbox;

beforeAll(async () => {
  process.env.CODEX_TEST_SECRET = 'sk-must-not-leak';
  sandbox = new DockerSandbox({ taskId, image: IMAGE, workspaceDir: work.dir, limits, project });
  await sandbox.start();
});

afterAll(async () => {
  delete process.env.CODEX_TEST_SECRET;
  await sandbox.stop();
  // Its network command started an egress proxy and network: both go (containers first).
  await removeProjectNetworks(project);
  work.cleanup();
});

describe('DockerSandbox hardening', () => {
  it('runs as a non-root user with no capabilities and no privilege gain', async () => {
    expect((await sandbox.exec('id -u')).stdout.trim()).toBe('1000');
    const status = (await sandbox.exec('grep -E "^(CapEff|CapPrm|CapBnd|NoNewPrivs)" /proc/self/status')).stdout;
    expect(status).toMatch(/CapEff:\s+0000000000000000/);
    expect(status).toMatch(/CapPrm:\s+0000000000000000/);
    expect(status).toMatch(/CapBnd:\s+0000000000000000/);
    expect(status).toMatch(/NoNewPrivs:\s+1/);
  });

  it('can write only /workspace, /tmp and HOME', async () => {
    const r = await sandbox.exec(
      'for d in /workspace /tmp "$HOME" / /etc /usr/local/bin /var /opt; do if touch "$d/probe" 2>/dev/null; then echo "$d writable"; rm -f "$d/probe"; else echo "$d denied"; fi; done',
    );
    expect(r.stdout.trim().split('\n')).toEqual([
      '/workspace writable',
      '/tmp writable',
      '/home/agent writable',
      '/ denied',
      '/etc denied',
      '/usr/local/bin denied',
      '/var denied',
      '/opt denied',
    ]);
  });

  it('cannot write a file larger than limits.diskMb, sparse or not, in /workspace or /tmp, nor can a network sibling', async () => {
    const probe = (where: string) =>
      `cd ${where} && truncate -s 20G big.bin; echo "sparse=$?"; head -c 12M /dev/zero > real.bin; echo "real=$?"; truncate -s 4M ok.bin; echo "ok=$?"; stat -c %s ok.bin real.bin; rm -f big.bin real.bin ok.bin`;
    for (const r of [await sandbox.exec(probe('/workspace')), await sandbox.exec(probe('/tmp')), await sandbox.exec(probe('/workspace'), { network: true, timeoutMs: 60_000 })]) {
      const out = r.stdout.trim().split('\n');
      // 153 = 128 + SIGXFSZ: the kernel stops the write at the limit.
      expect(out.slice(0, 3)).toEqual(['sparse=153', 'real=153', 'ok=0']);
      expect(out.slice(3)).toEqual([String(4 * 1024 * 1024), String(8 * 1024 * 1024)]);
    }
  });

  it('carries the hardening, the limits and the reaping labels in its container config', async () => {
    const info = await docker.getContainer(sandbox.id).inspect();
    const host = info.HostConfig;
    expect(host.NetworkMode).toBe('none');
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.SecurityOpt).toEqual(['no-new-privileges']);
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.Privileged).toBe(false);
    expect(host.Memory).toBe(256 * 1024 * 1024);
    expect(host.NanoCpus).toBe(0.5e9);
    expect(host.Ulimits).toContainEqual({ Name: 'fsize', Soft: 8 * 1024 * 1024, Hard: 8 * 1024 * 1024 });
    expect(host.PidsLimit).toBe(64);
    expect(info.Config.User).toBe('1000:1000');
    expect(info.Config.Labels).toMatchObject({ [LABEL_TASK_ID]: taskId, [LABEL_PROJECT]: project, [LABEL_ROLE]: 'sandbox' });
  });

  it("lets none of the worker's environment in", async () => {
    const env = (await sandbox.exec('env')).stdout;
    expect(env).not.toContain('sk-must-not-leak');
    expect(env).not.toMatch(/OPENAI|SLACK|REDIS_URL/);
  });

  it('stops a fork bomb at the PID limit and still runs the next command', async () => {
    // Bounded: depth 12 would be 4096 processes, far beyond the limit of 64.
    const bomb = 'f() { if [ "$1" -gt 0 ]; then f $(($1 - 1)) & f $(($1 - 1)) & wait; else sleep 30; fi; }; f 12';
    const started = Date.now();
    const r = await sandbox.exec(bomb, { timeoutMs: 3000 });
    expect(r.timedOut).toBe(true);
    expect(r.stderr).toMatch(/fork: .*Resource temporarily unavailable/);
    expect(Date.now() - started).toBeLessThan(60_000);
    const next = await sandbox.exec('echo alive; ps -eo args= | grep -c "^sleep 30" || true');
    expect(next.exitCode).toBe(0);
    expect(next.stdout).toBe('alive\n0\n');
  });
});
