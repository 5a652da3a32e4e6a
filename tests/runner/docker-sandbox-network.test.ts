import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { LABEL_PROJECT, LABEL_ROLE } from '../../src/runner/labels.js';
import { IMAGE, bridgeGateway, docker, removeProjectContainers, sandboxWritableDir, testLimits, uniqueId } from './helpers.js';

const project = uniqueId('codex-test-net-');
const work = sandboxWritableDir('network');
let sandbox: DockerSandbox;
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => res.end('pong from host'));
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  url = `http://${await bridgeGateway()}:${(server.address() as AddressInfo).port}/`;
  sandbox = new DockerSandbox({ taskId: uniqueId('task'), image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project, network: 'bridge' });
  await sandbox.start();
});

afterAll(async () => {
  await sandbox.stop();
  await removeProjectContainers(project);
  await new Promise((resolve) => server.close(resolve));
  work.cleanup();
});

const siblings = async () =>
  docker.listContainers({ all: true, filters: { label: [`${LABEL_PROJECT}=${project}`, `${LABEL_ROLE}=network`] } });

describe('DockerSandbox network', () => {
  it('cannot reach a server on the host from the sandbox', async () => {
    const r = await sandbox.exec(`curl -sS --max-time 5 ${url}`, { timeoutMs: 15_000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).not.toContain('pong');
    expect((await sandbox.exec('cat /sys/class/net/*/operstate; ls /sys/class/net')).stdout.trim().split(/\s+/)).toEqual(['unknown', 'lo']);
  });

  it('reaches it with network: true, in a sibling on the same checkout that is removed afterwards', async () => {
    await sandbox.writeFile('from-sandbox.txt', 'shared');
    const r = await sandbox.exec(`cat from-sandbox.txt; echo; curl -sS --max-time 5 ${url} | tee fetched.txt`, { network: true, timeoutMs: 15_000 });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'shared\npong from host', timedOut: false });
    expect(await sandbox.readFile('fetched.txt')).toBe('pong from host');
    expect(await siblings()).toEqual([]);
  });

  it('runs the sibling with the same user, hardening, cwd, env and stdin', async () => {
    await sandbox.exec('mkdir -p sub');
    const r = await sandbox.exec('id -u; pwd; echo "$X"; grep CapEff /proc/self/status; touch /etc/x 2>&1 || true; cat', {
      network: true,
      cwd: 'sub',
      env: { X: 'ex' },
      stdin: 'piped',
    });
    expect(r.stdout).toMatch(/^1000\n\/workspace\/sub\nex\nCapEff:\s+0{16}\n.*Read-only file system\npiped$/s);
    const missing = await sandbox.exec('pwd', { network: true, cwd: 'not/there' });
    expect(missing).toMatchObject({ exitCode: 1, stderr: 'no such directory: /workspace/not/there\n' });
    expect((await sandbox.exec('ls -d not 2>&1 || true')).stdout).toContain('No such file');
  });

  it('times out and aborts network commands, leaving no sibling behind', async () => {
    const timedOut = await sandbox.exec('sleep 100', { network: true, timeoutMs: 1000 });
    expect(timedOut).toMatchObject({ timedOut: true, exitCode: 137 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const aborted = await sandbox.exec('sleep 100', { network: true, signal: controller.signal });
    expect(aborted.aborted).toBe(true);
    expect(await siblings()).toEqual([]);
    expect((await sandbox.exec('echo fine')).stdout).toBe('fine\n');
  });

  it('removes a running sibling when the sandbox stops', async () => {
    const own = new DockerSandbox({ taskId: uniqueId('task'), image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project });
    const running = own.exec('sleep 100', { network: true, timeoutMs: 60_000 });
    for (let i = 0; i < 100 && (await siblings()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await own.stop();
    const r = await running;
    expect(r.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await siblings()).toEqual([]);
    await expect(own.exec('true')).rejects.toMatchObject({ code: 'sandbox_stopped' });
  });

  it('fails with a project error, and leaves nothing behind, when the configured network does not exist', async () => {
    const own = new DockerSandbox({ taskId: uniqueId('task'), image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project, network: uniqueId('no-such-net-') });
    await expect(own.exec('true', { network: true })).rejects.toMatchObject({ code: 'sandbox_exec_failed', retryable: true });
    expect(await siblings()).toEqual([]);
    await own.stop();
  });
});
