import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import Docker from 'dockerode';
import { pino, type Logger } from 'pino';
import { DEFAULT_LIMITS, type Limits } from '../../src/config.js';
import { LABEL_PROJECT } from '../../src/runner/labels.js';

export const IMAGE = process.env.CODEX_SANDBOX_IMAGE ?? 'codex-sandbox:latest';
export const docker = new Docker();

export function uniqueId(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/** Small limits so the tests stay light on a shared machine. */
export function testLimits(overrides: Partial<Limits> = {}): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS, memoryMb: 512, cpus: 1, pids: 128, commandTimeoutSec: 20, maxCommandTimeoutSec: 120 };
  return { ...limits, ...overrides };
}

/** A temp dir removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A directory the sandbox user (1000) can write, as a checkout would be. */
export function sandboxWritableDir(prefix: string): { dir: string; cleanup: () => void } {
  const t = tempDir(prefix);
  if (process.getuid?.() === 0) chownSync(t.dir, 1000, 1000);
  return t;
}

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Upstream Dev',
  GIT_AUTHOR_EMAIL: 'dev@example.com',
  GIT_COMMITTER_NAME: 'Upstream Dev',
  GIT_COMMITTER_EMAIL: 'dev@example.com',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
}

/** An upstream repo with one commit on `main` holding `files`. */
export function makeUpstream(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  commitFiles(dir, files, 'initial commit');
  return dir;
}

export function commitFiles(dir: string, files: Record<string, string>, message: string): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** A logger whose lines the test can read. */
export function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

/** Removes every container of a test project: the safety net behind each test's own cleanup. */
export async function removeProjectContainers(project: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_PROJECT}=${project}`] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

/** The host address containers on the default bridge reach the host at. */
export async function bridgeGateway(): Promise<string> {
  const net = await docker.getNetwork('bridge').inspect();
  const config = (net.IPAM?.Config ?? [])[0] as { Gateway?: string; Subnet?: string } | undefined;
  if (config?.Gateway) return config.Gateway;
  const subnet = config?.Subnet ?? '172.17.0.0/16';
  const [a, b, c] = subnet.split('/')[0]!.split('.');
  return `${a}.${b}.${c}.1`;
}

/** A task id shaped like the task store's (eight random lowercase letters and digits). */
export function testTaskId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Removes every network of a test project (egress networks), after its containers. */
export async function removeProjectNetworks(project: string): Promise<void> {
  await removeProjectContainers(project);
  const list = await docker.listNetworks({ filters: { label: [`${LABEL_PROJECT}=${project}`] } });
  await Promise.all(list.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
}

/** Every address of this host's interfaces (the test runs on the Docker host). */
export function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => a.family === 'IPv4' || !a.address.startsWith('fe80'))
    .map((a) => a.address);
}
