import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerSandbox } from '../../src/runner/docker-sandbox.js';
import { LABEL_PROJECT, LABEL_ROLE } from '../../src/runner/labels.js';
import { IMAGE, bridgeGateway, docker, hostAddresses, removeProjectNetworks, sandboxWritableDir, testLimits, uniqueId } from './helpers.js';

/*
 * Network commands run in a sibling on an internal network whose only way out is the egress
 * proxy: never the Docker host (its bridge gateway or any of its addresses), never link-local or
 * metadata addresses, never private ranges, unless the repo's `networkAllow` names them.
 */

const project = uniqueId('codex-test-net-');
const work = sandboxWritableDir('network');
let sandbox: DockerSandbox;
let server: Server;
let port: number;
let gateway: string;
let hits = 0;
const extraNetworks: string[] = [];

const hostUrl = (addr: string) => `http://${isIP(addr) === 6 ? `[${addr}]` : addr}:${port}/`;

beforeAll(async () => {
  server = createServer((_req, res) => {
    hits++;
    res.end('pong from host');
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  port = (server.address() as AddressInfo).port;
  gateway = await bridgeGateway();
  sandbox = new DockerSandbox({ taskId: uniqueId('task'), image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project, network: 'bridge' });
  await sandbox.start();
}, 60_000);

afterAll(async () => {
  await sandbox.stop();
  await removeProjectNetworks(project);
  for (const n of extraNetworks) {
    const list = await docker.listContainers({ all: true, filters: { network: [n] } });
    await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    await docker.getNetwork(n).remove().catch(() => undefined);
  }
  await new Promise((resolve) => server.close(resolve));
  work.cleanup();
}, 60_000);

const siblings = async () =>
  docker.listContainers({ all: true, filters: { label: [`${LABEL_PROJECT}=${project}`, `${LABEL_ROLE}=network`] } });

/** Each URL fetched in parallel, through the proxy and directly; one line per attempt. */
function probeScript(urls: string[]): string {
  const lines = urls.flatMap((u, i) => [
    `(code=$(curl -s --max-time 4 -o /tmp/p${i} -w '%{http_code}' '${u}'); echo "proxy ${u} $? $code $(cat /tmp/p${i} 2>/dev/null | grep -c pong)") >/tmp/o${i}a &`,
    `(code=$(curl -s --noproxy '*' --max-time 4 -o /tmp/d${i} -w '%{http_code}' '${u}'); echo "direct ${u} $? $code $(cat /tmp/d${i} 2>/dev/null | grep -c pong)") >/tmp/o${i}b &`,
  ]);
  return [...lines, 'wait', 'cat /tmp/o*'].join('\n');
}

/** A user-defined network with an HTTP server on it, reachable as `netserver:8080`. */
async function startNetServer(): Promise<string> {
  const name = uniqueId('codex-test-netsrv-');
  await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: { [LABEL_PROJECT]: project } });
  extraNetworks.push(name);
  const c = await docker.createContainer({
    Image: IMAGE,
    Cmd: ['node', '-e', "require('http').createServer((q, r) => r.end('pong from netserver')).listen(8080)"],
    Labels: { [LABEL_PROJECT]: project },
    HostConfig: { NetworkMode: name },
    NetworkingConfig: { EndpointsConfig: { [name]: { Aliases: ['netserver'] } } },
  });
  await c.start();
  for (let i = 0; ; i++) {
    const exec = await c.exec({ Cmd: ['curl', '-sf', 'http://127.0.0.1:8080/'], AttachStdout: true });
    const stream = await exec.start({});
    await new Promise((resolve) => stream.on('end', resolve).resume());
    if ((await exec.inspect()).ExitCode === 0) return name;
    if (i > 100) throw new Error('netserver did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('DockerSandbox network', () => {
  it('cannot reach a server on the host from the sandbox', async () => {
    const r = await sandbox.exec(`curl -sS --max-time 5 ${hostUrl(gateway)}`, { timeoutMs: 15_000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).not.toContain('pong');
    expect((await sandbox.exec('cat /sys/class/net/*/operstate; ls /sys/class/net')).stdout.trim().split(/\s+/)).toEqual(['unknown', 'lo']);
  });

  it('an approved command reaches neither the host (gateway or any address) nor 169.254.169.254, through the proxy or directly', { timeout: 120_000 }, async () => {
    const addresses = [...new Set([gateway, ...hostAddresses()])];
    expect(addresses.length).toBeGreaterThan(1);
    const urls = [...addresses.map(hostUrl), 'http://169.254.169.254/latest/meta-data/'];
    const before = hits;
    const r = await sandbox.exec(probeScript(urls), { network: true, timeoutMs: 60_000 });
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(urls.length * 2);
    for (const line of lines) {
      const [how, url, curlExit, status, pongs] = line.split(' ');
      expect(pongs, line).toBe('0');
      expect(curlExit === '0' && status === '200', line).toBe(false);
      // Through the proxy, squid says no (403; under load a reset now and then); loopback is the sibling's own (NO_PROXY).
      if (how === 'proxy' && !url!.includes('[') && !url!.startsWith('http://127.')) expect(['403', '000'], line).toContain(status);
    }
    // The proxy is in the path and answers for itself: one request at a time, with time to spare
    // (the parallel burst above may see only resets on a loaded machine), squid says 403.
    const refusals = await sandbox.exec(
      `for u in ${urls.filter((u) => !u.includes('[') && !u.startsWith('http://127.')).map((u) => `'${u}'`).join(' ')}; do c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 "$u"); echo -n "$c "; [ "$c" = 403 ] && break; done`,
      { network: true, timeoutMs: 60_000 },
    );
    expect(refusals.stdout.trim().split(' ')).toContain('403');
    expect(refusals.stdout).not.toContain('200');
    // Raw TCP, with no proxy involved, has nowhere to go either.
    const raw = await sandbox.exec(`timeout 5 bash -c 'exec 3<>/dev/tcp/${gateway}/${port}' && echo connected || echo refused`, { network: true, timeoutMs: 20_000 });
    expect(raw.stdout.trim()).toBe('refused');
    expect(hits).toBe(before);
  });

  it('reaches a destination networkAllow lists (the host by CIDR) through the proxy, in a sibling on the same checkout that is removed afterwards', { timeout: 60_000 }, async () => {
    const allowed = new DockerSandbox({ taskId: uniqueId('task'), image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project, network: 'bridge', networkAllow: [`${gateway}/32`] });
    try {
      await allowed.writeFile('from-sandbox.txt', 'shared');
      const r = await allowed.exec(`cat from-sandbox.txt; echo; curl -sS --max-time 5 ${hostUrl(gateway)} | tee fetched.txt`, { network: true, timeoutMs: 20_000 });
      expect(r).toMatchObject({ exitCode: 0, stdout: 'shared\npong from host', timedOut: false });
      expect(await allowed.readFile('fetched.txt')).toBe('pong from host');
      // Only through the proxy: the direct route is still closed, and other private addresses stay refused.
      const direct = await allowed.exec(`curl -sS --noproxy '*' --max-time 4 ${hostUrl(gateway)}`, { network: true, timeoutMs: 20_000 });
      expect(direct.exitCode).not.toBe(0);
      const metadata = await allowed.exec(`curl -s -o /dev/null -w '%{http_code}' --max-time 4 http://169.254.169.254/`, { network: true, timeoutMs: 20_000 });
      expect(metadata.stdout).toBe('403');
      expect(await siblings()).toEqual([]);
    } finally {
      await allowed.stop();
    }
  });

  it('decides on the resolved address: a name resolving to a private address is refused unless networkAllow names it', { timeout: 90_000 }, async () => {
    const network = await startNetServer();
    const fetch = `curl -s --max-time 5 -w ' %{http_code}' http://netserver:8080/`;
    const plain = new DockerSandbox({ taskId: uniqueId('task'), image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project, network });
    const named = new DockerSandbox({ taskId: uniqueId('task'), image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project, network, networkAllow: ['netserver'] });
    try {
      const refused = await plain.exec(fetch, { network: true, timeoutMs: 20_000 });
      expect(refused.stdout).not.toContain('pong');
      expect(refused.stdout).toMatch(/ 403$/);
      const reached = await named.exec(fetch, { network: true, timeoutMs: 20_000 });
      expect(reached.stdout).toBe('pong from netserver 200');
    } finally {
      await plain.stop();
      await named.stop();
    }
  });

  it('the proxy itself cannot connect to the host or metadata addresses, whatever squid is asked (DNS rebinding)', { timeout: 60_000 }, async () => {
    await sandbox.exec('true', { network: true });
    const [proxy] = await docker.listContainers({ filters: { label: [`${LABEL_PROJECT}=${project}`, `${LABEL_ROLE}=egress`] } });
    expect(proxy).toBeDefined();
    const targets = [...new Set([gateway, ...hostAddresses().filter((a) => isIP(a) === 4)])].map((a) => `${a}/${port}`);
    targets.push('169.254.169.254/80', '10.0.0.1/80');
    const script = targets.map((t) => `timeout 3 bash -c 'exec 3<>/dev/tcp/${t}' 2>/dev/null && echo "open ${t}" || echo "closed ${t}"`).join('\n');
    const exec = await docker.getContainer(proxy!.Id).exec({ Cmd: ['bash', '-c', script], User: 'proxy', AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    let out = '';
    stream.on('data', (b: Buffer) => (out += b.toString('utf8')));
    await new Promise((resolve) => stream.on('end', resolve));
    expect(out).toContain(`closed ${gateway}/${port}`);
    expect(out).not.toContain('open ');
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
    for (let i = 0; i < 200 && !(await siblings()).some((c) => c.State === 'running'); i++) await new Promise((r) => setTimeout(r, 50));
    await own.stop();
    const r = await running;
    expect(r.exitCode).not.toBe(0);
    expect(await siblings()).toEqual([]);
    await expect(own.exec('true')).rejects.toMatchObject({ code: 'sandbox_stopped' });
  });

  it('removes, unstarted, a sibling whose creation a stop overtook, before the stop returns', { timeout: 60_000 }, async () => {
    // At every moment of the creation: the stop comes 0, 10, 20, … ms after the command.
    for (let delay = 0; delay <= 300; delay += 10) {
      const own = new DockerSandbox({ taskId: uniqueId('task'), image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project });
      const marker = `late-${delay}-${uniqueId('m')}`;
      const running = own.exec(`touch ${marker}; sleep 100`, { network: true, timeoutMs: 60_000 }).catch((e: Error) => e);
      await new Promise((r) => setTimeout(r, delay));
      await own.stop();
      // Once stop() has returned, nothing of the sandbox runs or is left (not even being removed).
      expect(await siblings(), `stop ${delay} ms after the command`).toEqual([]);
      const r = await running;
      if (!(r instanceof Error)) expect(r.exitCode).not.toBe(0);
      // A command that ran wrote its marker before the stop; none writes one after it.
      const wrote = existsSync(join(work.dir, marker));
      await new Promise((res) => setTimeout(res, 300));
      expect(existsSync(join(work.dir, marker))).toBe(wrote);
    }
  });

  it('fails with a project error, and leaves nothing behind, when the configured network does not exist', async () => {
    const own = new DockerSandbox({ taskId: uniqueId('task'), image: IMAGE, workspaceDir: work.dir, limits: testLimits(), project, network: uniqueId('no-such-net-') });
    await expect(own.exec('true', { network: true })).rejects.toMatchObject({ code: 'sandbox_exec_failed', retryable: true });
    expect(await siblings()).toEqual([]);
    await own.stop();
  });
});
