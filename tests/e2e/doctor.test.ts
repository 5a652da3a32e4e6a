import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../fakes/model-server.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-server.js';
import { REDIS_URL } from '../helpers/redis.js';

/*
 * `npm run doctor` as its own process (src/doctor.ts through tsx, as `npm run doctor` runs the
 * same file built), run from a directory holding a `.env`, against the fake Slack and model
 * servers, real Redis, the real Docker engine and real git repositories.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const SECRET = '8f2b0c1d4e5a6b7c8d9e0f1a2b3c4d5e'; // the shape of a real signing secret
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(slackOptions: Parameters<typeof startFakeSlack>[0] = {}): Promise<{ dir: string; slack: FakeSlack; model: ModelServer; upstream: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'codex-doctor-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const slack = await startFakeSlack(slackOptions);
  cleanups.push(() => slack.close());
  const model = await startModelServer({ apiKey: 'sk-doctor', models: ['test-model'], script: [] });
  cleanups.push(() => model.close());
  const upstream = join(dir, 'upstream');
  execFileSync('git', ['init', '-q', '-b', 'main', upstream]);
  execFileSync('git', ['-C', upstream, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'init']);
  return { dir, slack, model, upstream };
}

/** Runs the doctor in `dir` (which holds the `.env` it reads) with only `env` set besides. */
function doctor(dir: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const proc = spawn(TSX, [join(ROOT, 'src/doctor.ts')], { cwd: dir, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) => done({ code, out }));
  });
}

const line = (out: string, name: string) => out.split('\n').find((l) => l.slice(2).startsWith(name)) ?? `(no line for ${name})`;

describe('npm run doctor', () => {
  it('checks everything the bot needs, one line each, and exits 0 when all is well', async () => {
    const { dir, slack, model, upstream } = await setUp();
    writeFileSync(join(dir, 'repos.json'), JSON.stringify({ repos: [{ name: 'calc', url: upstream, baseBranch: 'main' }] }));
    // Read from .env like `npm start`; the environment supplies the rest.
    writeFileSync(join(dir, '.env'), `SLACK_BOT_TOKEN=${slack.token}\nSLACK_SIGNING_SECRET=${SECRET}\nCODEX_CONFIG=repos.json\n`);
    const run = await doctor(dir, { SLACK_API_URL: slack.apiUrl, OPENAI_API_KEY: 'sk-doctor', OPENAI_BASE_URL: model.url, CODEX_MODEL: 'test-model', REDIS_URL });
    expect(run.out).not.toContain('✗');
    for (const name of ['configuration', 'Slack bot token', 'Slack signing secret', 'Redis', 'Docker engine', 'sandbox image codex-sandbox:latest', 'egress proxy image codex-egress-proxy:latest', 'model test-model', 'repo calc']) {
      expect(line(run.out, name)).toMatch(/^✓ /);
    }
    expect(line(run.out, 'Slack bot token')).toContain('scopes of manifest.json granted');
    expect(run.out).toContain('All checks passed.');
    expect(run.code).toBe(0);
    expect(slack.callsTo('auth.test')).toHaveLength(1);
    expect(model.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models/test-model']);
  }, 60_000);

  it('names each failing check with what to do, and exits 1', async () => {
    const { dir, slack, model, upstream } = await setUp();
    writeFileSync(
      join(dir, 'repos.json'),
      JSON.stringify({
        repos: [
          { name: 'calc', url: upstream },
          { name: 'web', url: join(dir, 'no-such-repo'), image: 'codex-doctor-missing-image:none' },
          { name: 'old', url: upstream, baseBranch: 'trunk' },
        ],
      }),
    );
    writeFileSync(join(dir, '.env'), `SLACK_BOT_TOKEN=xoxb-wrong-token\nSLACK_SIGNING_SECRET=${SECRET}\nCODEX_CONFIG=repos.json\n`);
    const run = await doctor(dir, { SLACK_API_URL: slack.apiUrl, OPENAI_API_KEY: 'sk-doctor', OPENAI_BASE_URL: model.url, CODEX_MODEL: 'gpt-nope', REDIS_URL, CODEX_EGRESS_IMAGE: 'codex-doctor-missing-proxy:none' });
    expect(run.code).toBe(1);
    expect(line(run.out, 'Slack bot token')).toMatch(/^✗ .*SLACK_BOT_TOKEN \(invalid_auth\).*OAuth & Permissions/);
    expect(line(run.out, 'sandbox image codex-doctor-missing-image:none')).toMatch(/^✗ .*is missing: .*docker pull/);
    expect(line(run.out, 'sandbox image codex-sandbox:latest')).toMatch(/^✓ /);
    expect(line(run.out, 'egress proxy image codex-doctor-missing-proxy:none')).toMatch(/^✗ .*is missing: build it with `npm run sandbox:build`/);
    expect(line(run.out, 'repo web')).toMatch(/^✗ .*cannot fetch .*no-such-repo/);
    expect(line(run.out, 'repo old')).toMatch(/^✗ .*has no branch trunk: set the repo's baseBranch/);
    expect(line(run.out, 'repo calc')).toMatch(/^✓ /);
    expect(line(run.out, 'model gpt-nope')).toMatch(/^✗ .*no model gpt-nope.*CODEX_MODEL/);
    expect(line(run.out, 'Redis')).toMatch(/^✓ /);
    expect(run.out).toContain('6 check(s) failed');
    expect(run.out).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('reports scopes the token lacks, a malformed signing secret and an unreachable Redis', async () => {
    const { dir, slack, model, upstream } = await setUp({ scopes: ['chat:write', 'commands'] });
    writeFileSync(join(dir, 'repos.json'), JSON.stringify({ repos: [{ name: 'calc', url: upstream }] }));
    const run = await doctor(dir, {
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: 'not-a-secret',
      SLACK_API_URL: slack.apiUrl,
      OPENAI_API_KEY: 'sk-doctor',
      OPENAI_BASE_URL: model.url,
      CODEX_MODEL: 'test-model',
      REDIS_URL: 'redis://127.0.0.1:1',
      CODEX_CONFIG: join(dir, 'repos.json'),
      CODEX_ROLE: 'app',
    });
    expect(run.code).toBe(1);
    expect(line(run.out, 'Slack bot token')).toMatch(/^✗ .*lacks the scopes .*reactions:write.*reinstall/);
    expect(line(run.out, 'Slack bot token')).not.toMatch(/chat:write|commands/);
    expect(line(run.out, 'Slack signing secret')).toMatch(/^✗ .*32 hexadecimal/);
    expect(line(run.out, 'Redis')).toMatch(/^✗ .*start Redis or set REDIS_URL/);
    // The app role needs neither Docker nor the model nor the repos.
    expect(run.out).not.toContain('Docker engine');
    expect(model.requests).toHaveLength(0);
  }, 60_000);
});
