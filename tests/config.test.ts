import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, resolveBudgets } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function writeConfig(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'codex-config-'));
  dirs.push(dir);
  const path = join(dir, 'repos.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const goodEnv = (configPath: string) => ({
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: 'secret',
  OPENAI_API_KEY: 'sk-test',
  CODEX_CONFIG: configPath,
});

describe('loadConfig', () => {
  it('reads models and personalities, and refuses a channel naming unknown ones', () => {
    const path = writeConfig({
      repos: [{ name: 'billing', url: '/srv/git/billing' }],
      models: ['gpt-5', 'gpt-5-mini'],
      personalities: { pirate: 'Talk like a pirate.' },
      channels: { C0123ABCD: { model: 'gpt-5-mini', personality: 'pirate' } },
    });
    const config = loadConfig(goodEnv(path), '/srv');
    expect(config.models).toEqual(['gpt-5', 'gpt-5-mini', 'gpt-5-codex']);
    expect(config.personalities).toEqual(['pragmatic', 'friendly', 'pirate']);
    expect(loadConfig(goodEnv(writeConfig({ repos: [{ name: 'billing', url: '/x' }] })), '/srv').models).toEqual(['gpt-5-codex']);
    const bad = writeConfig({ repos: [{ name: 'billing', url: '/x' }], channels: { C0123ABCD: { model: 'gpt-9', personality: 'grumpy' } } });
    const error = (() => {
      try {
        loadConfig(goodEnv(bad), '/srv');
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain('channels.C0123ABCD.personality: names unknown personality "grumpy"');
    expect(error!.message).toContain('channels.C0123ABCD.model: names unknown model "gpt-9"');
  });

  it('applies defaults and resolves each repo against the file-wide settings', () => {
    const path = writeConfig({
      repos: [
        { name: 'billing', url: 'https://example.com/acme/billing.git' },
        { name: 'web', url: '/srv/git/web', baseBranch: 'develop', image: 'web-sandbox:1', limits: { memoryMb: 4096 }, approval: { mode: 'never' } },
      ],
      channels: { C0123ABCD: { defaultRepo: 'web' } },
      limits: { pids: 128 },
    });
    const config = loadConfig(goodEnv(path), '/srv');
    expect(config.env.CODEX_MODEL).toBe('gpt-5-codex');
    expect(config.env.PORT).toBe(3000);
    expect(config.env.CODEX_ROLE).toBe('all');
    expect(config.dataDir).toBe('/srv/.codex-data');
    const [billing, web] = config.repos;
    expect(billing).toMatchObject({ baseBranch: 'main', image: 'codex-sandbox:latest', network: 'bridge' });
    expect(billing!.limits).toMatchObject({ memoryMb: 2048, pids: 128, commandTimeoutSec: 10 });
    expect(web).toMatchObject({ baseBranch: 'develop', image: 'web-sandbox:1' });
    expect(web!.limits).toMatchObject({ memoryMb: 4096, pids: 128 });
    expect(web!.approval.mode).toBe('never');
    expect(web!.approval.push).toBe(true);
    expect(config.file.channels.C0123ABCD?.defaultRepo).toBe('web');
  });

  it('resolves limits.diskMb and limits.maxFiles file-wide and per repo, with defaults, and refuses nonsense', () => {
    const path = writeConfig({
      repos: [
        { name: 'a', url: 'x' },
        { name: 'b', url: 'y', limits: { diskMb: 512 } },
      ],
      limits: { maxFiles: 50_000 },
    });
    const [a, b] = loadConfig(goodEnv(path), '/srv').repos;
    expect(a!.limits).toMatchObject({ diskMb: 4096, maxFiles: 50_000 });
    expect(b!.limits).toMatchObject({ diskMb: 512, maxFiles: 50_000 });
    const defaults = loadConfig(goodEnv(writeConfig({ repos: [{ name: 'c', url: 'z' }] })), '/srv').repos[0]!.limits;
    expect(defaults).toMatchObject({ diskMb: 4096, maxFiles: 200_000 });
    expect(() => loadConfig(goodEnv(writeConfig({ repos: [{ name: 'd', url: 'z', limits: { diskMb: 0, maxFiles: 1.5 } }] })), '/srv')).toThrow(/repos\[0\]\.limits\.diskMb[\s\S]*repos\[0\]\.limits\.maxFiles/);
  });

  it('keeps one warm sandbox per shape by default; 0 turns the pool off; a negative or fractional size is refused', () => {
    const defaults = loadConfig(goodEnv(writeConfig({ repos: [{ name: 'a', url: 'x' }] })), '/srv').file.sandbox;
    expect(defaults).toEqual({ warmPool: 1, warmMaxAgeMinutes: 30 });
    expect(loadConfig(goodEnv(writeConfig({ repos: [{ name: 'a', url: 'x' }], sandbox: { warmPool: 0 } })), '/srv').file.sandbox.warmPool).toBe(0);
    expect(() => loadConfig(goodEnv(writeConfig({ repos: [{ name: 'a', url: 'x' }], sandbox: { warmPool: -1, warmMaxAgeMinutes: 0 } })), '/srv')).toThrow(/sandbox\.warmPool[\s\S]*sandbox\.warmMaxAgeMinutes/);
  });

  it('names every problem of the environment and the file in one error', () => {
    const path = writeConfig({
      repos: [{ name: 'bad name!', url: '' }, { name: 'ok', url: 'x', baseBranch: '' }],
      channels: { C0123ABCD: { defaultRepo: 'nope' } },
    });
    let error: unknown;
    try {
      loadConfig({ SLACK_BOT_TOKEN: 'not-a-token', PORT: 'eighty', REDIS_URL: 'localhost', DOCKER_HOST: '/var/run/docker.sock', CODEX_CONFIG: path }, '/');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'OPENAI_API_KEY', 'PORT', 'REDIS_URL', 'DOCKER_HOST', 'repos[0].name', 'repos[0].url', 'repos[1].baseBranch', 'defaultRepo']) {
      expect(message).toContain(name);
    }
  });

  it('reports a missing CODEX_CONFIG, an unreadable file and invalid JSON', () => {
    expect(() => loadConfig({ ...goodEnv('x'), CODEX_CONFIG: '' })).toThrow(/CODEX_CONFIG/);
    expect(() => loadConfig(goodEnv('/nonexistent/repos.json'))).toThrow(/cannot read \/nonexistent\/repos.json \(ENOENT\)/);
    expect(() => loadConfig(goodEnv(writeConfig('{ nope')))).toThrow(/not valid JSON/);
    expect(() => loadConfig(goodEnv(writeConfig({ repos: [] })))).toThrow(/at least one repo/);
  });

  it('accepts Socket Mode without a signing secret, and a worker without Slack signing', () => {
    const path = writeConfig({ repos: [{ name: 'a', url: 'file:///tmp/a' }] });
    const socket = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', OPENAI_API_KEY: 'k', CODEX_CONFIG: path });
    expect(socket.env.SLACK_APP_TOKEN).toBe('xapp-1');
    const worker = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', OPENAI_API_KEY: 'k', CODEX_CONFIG: path, CODEX_ROLE: 'worker' });
    expect(worker.env.CODEX_ROLE).toBe('worker');
    expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', CODEX_CONFIG: path, CODEX_ROLE: 'worker' })).toThrow(/OPENAI_API_KEY/);
  });

  it('takes networkAllow as host names, domains, addresses and CIDRs, and names a bad entry', () => {
    const allow = ['npm.corp.internal', '.corp.example', 'netserver', '10.20.0.0/16', '192.0.2.7', 'fd00::/8'];
    const config = loadConfig(goodEnv(writeConfig({ repos: [{ name: 'a', url: 'file:///tmp/a', networkAllow: allow }, { name: 'b', url: 'file:///tmp/b' }] })));
    expect(config.repos.map((r) => r.networkAllow)).toEqual([allow, []]);
    for (const bad of ['10.0.0.0/33', 'http://x', 'a b', '10.0.0.0/8/1', '']) {
      expect(() => loadConfig(goodEnv(writeConfig({ repos: [{ name: 'a', url: 'file:///tmp/a', networkAllow: [bad] }] }))), bad).toThrow(/repos\[0\]\.networkAllow\[0\]/);
    }
  });
});

describe('compaction budgets', () => {
  const problems = (budgets: unknown) => {
    try {
      loadConfig(goodEnv(writeConfig({ repos: [{ name: 'billing', url: '/x' }], budgets })), '/srv');
      return '';
    } catch (e) {
      return (e as ConfigError).message;
    }
  };

  it('defaults to a 272k window compacted at 80%, follows a configured window, and takes an explicit threshold', () => {
    const budgetsOf = (budgets: unknown) => resolveBudgets(loadConfig(goodEnv(writeConfig({ repos: [{ name: 'billing', url: '/x' }], budgets })), '/srv').file);
    expect(budgetsOf({})).toMatchObject({ contextWindowTokens: 272_000, compactAtTokens: 217_600 });
    expect(budgetsOf({ contextWindowTokens: 8000 })).toMatchObject({ contextWindowTokens: 8000, compactAtTokens: 6400 });
    expect(budgetsOf({ contextWindowTokens: 8000, compactAtTokens: 5000 })).toMatchObject({ compactAtTokens: 5000, maxSteps: 60 });
  });

  it('refuses a threshold at or over the window, saying what to change', () => {
    expect(problems({ contextWindowTokens: 8000, compactAtTokens: 8000 })).toContain('budgets.compactAtTokens: must be below contextWindowTokens (8000)');
    expect(problems({ compactAtTokens: 300_000 })).toContain('must be below the default contextWindowTokens (272000)');
    expect(problems({ contextWindowTokens: 100 })).toContain('budgets.contextWindowTokens');
    expect(problems({ contextWindowTokens: 8000, compactAtTokens: 7999 })).toBe('');
  });
});

describe('config/repos.example.json', () => {
  it('is a valid repo file with no traps: public https urls and only the image `npm run sandbox:build` makes', async () => {
    const { parseRepoFile, envSchema } = await import('../src/config.js');
    const { readFileSync } = await import('node:fs');
    const path = join(import.meta.dirname, '..', 'config', 'repos.example.json');
    const { file, problems } = parseRepoFile(readFileSync(path, 'utf8'), path);
    expect(problems).toEqual([]);
    const defaultImage = envSchema.shape.CODEX_SANDBOX_IMAGE.parse(undefined);
    for (const repo of file!.repos) {
      expect(repo.url).toMatch(/^https:\/\/[^@]+$/); // no ssh url, no credentials: clonable out of the box
      expect(repo.image ?? defaultImage).toBe(defaultImage);
    }
  });
});

describe('the GitHub App settings', () => {
  const repoFile = () => writeConfig({ repos: [{ name: 'billing', url: 'https://github.com/acme/billing.git', github: 'acme/billing', autoPullRequest: true }] });
  const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----';

  it('takes the key as PEM text (with \\n escapes) or as a path, and resolves the repo on GitHub', () => {
    const inline = loadConfig({ ...goodEnv(repoFile()), GITHUB_APP_ID: '123', GITHUB_APP_PRIVATE_KEY: pem.replace(/\n/g, '\\n') });
    expect(inline.github).toEqual({ appId: '123', privateKey: pem, apiUrl: 'https://api.github.com' });
    expect(inline.repos[0]).toMatchObject({ github: { owner: 'acme', name: 'billing' }, autoPullRequest: true, draftPullRequests: false });
    const keyPath = join(mkdtempSync(join(tmpdir(), 'codex-key-')), 'app.pem');
    dirs.push(dirname(keyPath));
    writeFileSync(keyPath, `${pem}\n`);
    const fromFile = loadConfig({ ...goodEnv(repoFile()), GITHUB_APP_ID: '123', GITHUB_APP_PRIVATE_KEY: keyPath, GITHUB_API_URL: 'http://ghe.local/api/v3/' });
    expect(fromFile.github).toEqual({ appId: '123', privateKey: pem, apiUrl: 'http://ghe.local/api/v3' });
  });

  it('names every problem: half an App, an unreadable key, a github repo without the App, a bad owner/name', () => {
    const half = () => loadConfig({ ...goodEnv(repoFile()), GITHUB_APP_ID: '123' });
    expect(half).toThrow(/GITHUB_APP_PRIVATE_KEY: is required with GITHUB_APP_ID/);
    expect(half).toThrow(/repos\.billing\.github: needs the GitHub App/);
    expect(() => loadConfig({ ...goodEnv(repoFile()), GITHUB_APP_ID: 'abc', GITHUB_APP_PRIVATE_KEY: '/nonexistent/app.pem' })).toThrow(/GITHUB_APP_ID: must be the numeric App ID/);
    expect(() => loadConfig({ ...goodEnv(repoFile()), GITHUB_APP_ID: '1', GITHUB_APP_PRIVATE_KEY: '/nonexistent/app.pem' })).toThrow(/GITHUB_APP_PRIVATE_KEY: is neither a PEM private key nor a readable file \(ENOENT\)/);
    const bad = writeConfig({ repos: [{ name: 'b', url: 'x', github: 'not a repo' }] });
    expect(() => loadConfig({ ...goodEnv(bad), GITHUB_APP_ID: '1', GITHUB_APP_PRIVATE_KEY: pem })).toThrow(/repos\[0\]\.github: must be "owner\/name"/);
  });

  it('documents every variable of the environment in the README and in .env.example', async () => {
    const { envSchema } = await import('../src/config.js');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    for (const name of Object.keys(envSchema.shape)) {
      expect(readme, `README lists ${name}`).toContain(`| \`${name}\` |`);
      expect(example, `.env.example lists ${name}`).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
    }
  });
});
