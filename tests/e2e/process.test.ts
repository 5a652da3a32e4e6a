import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply, startModelServer } from '../fakes/model-server.js';
import { FAKE_IDS, startFakeSlack, type FakeSlack } from '../fakes/slack-server.js';
import { CALC_FILES, FIX_PATCH, git } from '../helpers/e2e.js';
import { SlackSender } from '../fakes/slack-signing.js';
import { Redis } from 'ioredis';
import { deleteKeys, REDIS_URL } from '../helpers/redis.js';

/*
 * The entry point as a team runs it: `src/app.ts` started as its own process (through tsx, as
 * `npm start` runs the same file built), configured only by environment variables and the repo
 * config file.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
let child: ChildProcess | undefined;
let fake: FakeSlack | undefined;
const dirs: string[] = [];
/** Redis key prefixes the started processes used; their keys are deleted after each test. */
const prefixes: string[] = [];
const newPrefix = () => {
  const prefix = `proc${randomBytes(3).toString('hex')}`;
  prefixes.push(prefix);
  return prefix;
};

afterEach(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }
  child = undefined;
  if (prefixes.length > 0) {
    const redis = new Redis(REDIS_URL);
    for (const prefix of prefixes.splice(0)) await deleteKeys(redis, prefix); // and `${prefix}-bull`
    redis.disconnect();
  }
  await fake?.close();
  fake = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function start(env: Record<string, string>): { proc: ChildProcess; output: () => string; stderr: () => string; exited: Promise<number | null> } {
  let out = '';
  let err = '';
  const proc = spawn(TSX, ['src/app.ts'], { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
    err += d.toString();
  });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  child = proc;
  return { proc, output: () => out, stderr: () => err, exited };
}

async function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the entry point', () => {
  it('refuses to start on bad configuration, naming every problem at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'codex-proc-'));
    dirs.push(dir);
    const configPath = join(dir, 'repos.json');
    writeFileSync(configPath, JSON.stringify({ repos: [{ name: 'x y', url: '' }] }));
    const run = start({ SLACK_BOT_TOKEN: 'nope', PORT: 'x', CODEX_CONFIG: configPath });
    expect(await run.exited).toBe(1);
    const out = run.output();
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'OPENAI_API_KEY', 'PORT', 'repos[0].name', 'repos[0].url']) expect(out).toContain(name);
    expect(out).toContain('README.md');
    expect(out).not.toMatch(/\n\s+at /); // a sentence, not a stack trace
  }, 30_000);

  it('serves Slack over HTTP on PORT and stops cleanly on SIGTERM', async () => {
    fake = await startFakeSlack();
    const dir = mkdtempSync(join(tmpdir(), 'codex-proc-'));
    dirs.push(dir);
    const configPath = join(dir, 'repos.json');
    // A repo that cannot be fetched and an image that does not exist: warnings, not a failed start.
    writeFileSync(configPath, JSON.stringify({ repos: [{ name: 'calc', url: join(dir, 'nowhere'), image: 'codex-proc-missing-image:none' }] }));
    const port = await freePort();
    const secret = 'proc-secret';
    const run = start({
      SLACK_BOT_TOKEN: fake.token,
      SLACK_SIGNING_SECRET: secret,
      SLACK_API_URL: fake.apiUrl,
      PORT: String(port),
      OPENAI_API_KEY: 'sk-unused',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      REDIS_URL,
      CODEX_CONFIG: configPath,
      CODEX_DATA_DIR: join(dir, 'data'),
      CODEX_REDIS_PREFIX: newPrefix(),
      LOG_LEVEL: 'info',
    });
    await until(() => run.output().includes('worker started') && run.output().includes('slack app started'), 30_000, 'the app to start');
    await until(() => run.output().includes('repo calc: cannot fetch') && run.output().includes('sandbox image codex-proc-missing-image:none'), 30_000, 'the start-up warnings');
    const warnings = run.output().split('\n').filter((l) => l.includes('"level":40'));
    expect(warnings.find((l) => l.includes('repo calc'))).toContain("fix the repo's url");
    expect(warnings.find((l) => l.includes('codex-proc-missing-image:none'))).toContain('is missing');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const sender = new SlackSender(`http://127.0.0.1:${port}`, secret);
    const help = await sender.slashCommand({ text: 'help' });
    expect(help.status).toBe(200);
    expect(JSON.stringify(help.json)).toContain('/codex task');

    run.proc.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('shutting down');
    expect(run.output()).toContain('worker stopped');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  }, 60_000);

  it('ends the start with one sentence naming SLACK_BOT_TOKEN when Slack rejects the token', async () => {
    fake = await startFakeSlack();
    const dir = mkdtempSync(join(tmpdir(), 'codex-proc-'));
    dirs.push(dir);
    const configPath = join(dir, 'repos.json');
    writeFileSync(configPath, JSON.stringify({ repos: [{ name: 'calc', url: join(dir, 'nowhere') }] }));
    const run = start({
      SLACK_BOT_TOKEN: 'xoxb-not-the-right-one',
      SLACK_SIGNING_SECRET: 'proc-secret',
      SLACK_API_URL: fake.apiUrl,
      PORT: String(await freePort()),
      OPENAI_API_KEY: 'sk-unused',
      REDIS_URL,
      CODEX_CONFIG: configPath,
      CODEX_DATA_DIR: join(dir, 'data'),
      CODEX_REDIS_PREFIX: newPrefix(),
    });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/^Slack rejected SLACK_BOT_TOKEN \(invalid_auth\): [^\n]+\.\n$/);
    expect(run.output()).not.toMatch(/\n\s+at /);
    expect(run.output()).not.toContain('worker started');
    expect(fake.callsTo('auth.test').map((c) => c.response.error)).toEqual(['invalid_auth']);
  }, 30_000);

  it('waits for an unreachable Slack with /healthz saying why, and is ready once Slack answers', async () => {
    const slackPort = await freePort(); // nothing listens there yet
    const dir = mkdtempSync(join(tmpdir(), 'codex-proc-'));
    dirs.push(dir);
    const configPath = join(dir, 'repos.json');
    writeFileSync(configPath, JSON.stringify({ repos: [{ name: 'calc', url: join(dir, 'nowhere') }] }));
    const port = await freePort();
    const token = 'xoxb-fake-0000-bot-token';
    const run = start({
      SLACK_BOT_TOKEN: token,
      SLACK_SIGNING_SECRET: 'proc-secret',
      SLACK_API_URL: `http://127.0.0.1:${slackPort}/api/`,
      PORT: String(port),
      OPENAI_API_KEY: 'sk-unused',
      REDIS_URL,
      CODEX_CONFIG: configPath,
      CODEX_DATA_DIR: join(dir, 'data'),
      CODEX_REDIS_PREFIX: newPrefix(),
    });
    await until(() => run.output().includes('slack app started'), 30_000, 'the HTTP receiver');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.text()).toMatch(/^not ready: Slack cannot be reached \(.*ECONNREFUSED/);
    // One line per attempt that says why, not a stack trace; the process stays up.
    const attempts = run.output().split('\n').filter((l) => l.includes('Slack is not ready'));
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(attempts[0]).toMatch(/attempt 1\).*ECONNREFUSED.*trying again in \d+s/);
    expect(run.output()).not.toMatch(/\n\s+at /);
    expect(run.proc.exitCode).toBeNull();

    fake = await startFakeSlack({ token, port: slackPort });
    await until(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200, 30_000, '/healthz to answer 200');
    await until(() => run.output().includes('worker started'), 30_000, 'the worker to start');
    expect(fake.callsTo('auth.test').at(-1)?.response.ok).toBe(true);
    run.proc.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 90_000);

  it('runs a whole task as its own process, configured only by the environment and the repo file', async () => {
    fake = await startFakeSlack();
    const model = await startModelServer({ apiKey: 'sk-proc', script: [reply(functionCall('apply_patch', { input: FIX_PATCH })), reply(message('Fixed add.'))] });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'codex-proc-'));
      dirs.push(dir);
      const upstream = join(dir, 'upstream');
      mkdirSync(upstream);
      git(upstream, 'init', '-q', '-b', 'main');
      for (const [path, content] of Object.entries(CALC_FILES)) {
        mkdirSync(dirname(join(upstream, path)), { recursive: true });
        writeFileSync(join(upstream, path), content);
      }
      git(upstream, 'add', '-A');
      git(upstream, 'commit', '-q', '-m', 'fixture');
      // The repo file exactly as ARCHITECTURE.md shows it: name, url, baseBranch.
      const configPath = join(dir, 'repos.json');
      writeFileSync(configPath, JSON.stringify({ repos: [{ name: 'calc', url: upstream, baseBranch: 'main' }] }));
      const port = await freePort();
      const prefix = newPrefix();
      const run = start({
        SLACK_BOT_TOKEN: fake.token,
        SLACK_SIGNING_SECRET: 'proc-secret',
        SLACK_API_URL: fake.apiUrl,
        PORT: String(port),
        OPENAI_API_KEY: 'sk-proc',
        OPENAI_BASE_URL: model.url,
        CODEX_MODEL: 'test-model',
        REDIS_URL,
        CODEX_CONFIG: configPath,
        CODEX_DATA_DIR: join(dir, 'data'),
        CODEX_REDIS_PREFIX: prefix,
      });
      await until(() => run.output().includes('worker started'), 30_000, 'the app to start');
      const ack = await new SlackSender(`http://127.0.0.1:${port}`, 'proc-secret').slashCommand({ text: 'task fix the add function' });
      expect(ack.status).toBe(200);
      const root = await fake.waitFor(() => fake!.messages(FAKE_IDS.channel).find((m) => m.metadata?.event_type === 'codex_task_status'), 10_000);
      const summary = await fake.waitFor(() => fake!.thread(FAKE_IDS.channel, root.ts).find((m) => m.metadata?.event_type === 'codex_task_summary'), 60_000);
      expect(JSON.stringify(summary.blocks)).toContain('src/math.js');
      const branch = git(join(dir, 'data', 'mirrors', 'calc.git'), 'for-each-ref', '--format=%(refname:short)', 'refs/heads/codex/');
      expect(git(join(dir, 'data', 'mirrors', 'calc.git'), 'show', `${branch}:src/math.js`)).toContain('a + b');
      run.proc.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      await model.close();
    }
  }, 90_000);
});
