import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import { startCodex, type CodexProcess } from '../../src/app.js';
import type { WorkerTuning } from '../../src/worker/start-worker.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger, silentLogger, type Logger } from '../../src/logger.js';
import { TaskStore } from '../../src/tasks/task-store.js';
import { CALC_REPO } from '../agent/support/harness.js';
import { startModelServer, type ModelServer, type ModelServerOptions, type Script } from '../fakes/model-server.js';
import { FAKE_IDS, startFakeSlack, type FakeSlack, type FakeSlackOptions } from '../fakes/slack-server.js';
import { SlackSender } from '../fakes/slack-signing.js';
import { deleteKeys, REDIS_URL } from './redis.js';

/*
 * The whole product in one process, as a team would run it (`startCodex` from src/app.ts with
 * a config from environment variables and a repo config file), against: real Redis (a unique
 * key prefix per test), real Docker, a real git repository as the upstream, the scripted model
 * server through the real openai SDK, and the fake Slack through the real @slack/web-api client.
 */

export const SIGNING_SECRET = 'e2e-signing-secret';
const MODEL_KEY = 'sk-e2e-test-key';

/** A tiny Node project whose test fails until `add` adds (the agent tests' fixture, without AGENTS.md). */
export const CALC_FILES: Record<string, string> = Object.fromEntries(Object.entries(CALC_REPO).filter(([path]) => path !== 'AGENTS.md'));

export const FIX_PATCH = `*** Begin Patch
*** Update File: src/math.js
@@ export function add(a, b) {
-  return a - b;
+  return a + b;
 }
*** End Patch`;

export interface E2EOptions {
  script: Script;
  files?: Record<string, string>;
  /** Merged into the repo config file. */
  repoConfig?: Record<string, unknown>;
  /** Merged into the repo's own entry. */
  repo?: Record<string, unknown>;
  env?: Record<string, string>;
  /** BullMQ lock timings of the worker (to lose a job's lock within seconds). */
  workerTuning?: WorkerTuning;
  /** The product's logger (default: silent, or E2E_LOG's level). */
  logger?: Logger;
  /** Options of the fake Slack (e.g. `publishedLimits`). */
  slack?: FakeSlackOptions;
  /** The scopes the fake Slack grants the bot token (default: the manifest's). */
  slackScopes?: string[];
  /** How often code channels of tasks whose retention ended are archived (default: a minute). */
  archiveSweepMs?: number;
  /** More options of the scripted model server (its compact endpoint, its context window). */
  model?: Pick<ModelServerOptions, 'compact' | 'compactSummaryChars' | 'contextWindowTokens'>;
}

export interface E2E {
  fake: FakeSlack;
  model: ModelServer;
  codex: CodexProcess;
  config: Config;
  sender: SlackSender;
  store: TaskStore;
  redis: Redis;
  upstream: string;
  dataDir: string;
  prefix: string;
  /** git in the task mirror (where task branches live). */
  mirrorGit(...args: string[]): string;
  cleanup(): Promise<void>;
}

const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Fixture', GIT_AUTHOR_EMAIL: 'f@example.com', GIT_COMMITTER_NAME: 'Fixture', GIT_COMMITTER_EMAIL: 'f@example.com' };

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
}

export async function startE2E(options: E2EOptions): Promise<E2E> {
  const id = randomBytes(4).toString('hex');
  const prefix = `e2e${id}`;
  const root = mkdtempSync(join(tmpdir(), `codex-e2e-${id}-`));
  const upstream = join(root, 'upstream');
  mkdirSync(upstream);
  git(upstream, 'init', '-q', '-b', 'main');
  for (const [path, content] of Object.entries(options.files ?? CALC_FILES)) {
    mkdirSync(dirname(join(upstream, path)), { recursive: true });
    writeFileSync(join(upstream, path), content);
  }
  git(upstream, 'add', '-A');
  git(upstream, 'commit', '-q', '-m', 'fixture');

  const dataDir = join(root, 'data');
  const configPath = join(root, 'repos.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      repos: [{ name: 'calc', url: upstream, baseBranch: 'main', limits: { memoryMb: 512, pids: 128, commandTimeoutSec: 30, maxCommandTimeoutSec: 120 }, ...options.repo }],
      approval: { mode: 'never', network: false, push: false },
      budgets: { maxSteps: 30, maxMinutes: 10 },
      ...options.repoConfig,
      // Tests of the ordinary thread messages run without streamed narration unless they ask for it.
      slack: { streaming: 'off', ...(options.repoConfig?.slack as Record<string, unknown> | undefined) },
    }),
  );
  const fake = await startFakeSlack({ ...(options.slackScopes ? { scopes: options.slackScopes } : {}), ...options.slack });
  const model = await startModelServer({ ...options.model, apiKey: MODEL_KEY, script: options.script });
  const config = loadConfig({
    SLACK_BOT_TOKEN: fake.token,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    PORT: '0',
    OPENAI_API_KEY: MODEL_KEY,
    OPENAI_BASE_URL: model.url,
    CODEX_MODEL: 'test-model',
    REDIS_URL,
    CODEX_CONFIG: configPath,
    CODEX_DATA_DIR: dataDir,
    CODEX_REDIS_PREFIX: prefix,
    WORKER_CONCURRENCY: '2',
    ...options.env,
  });
  const logger = options.logger ?? (process.env.E2E_LOG ? createLogger({ level: process.env.E2E_LOG }) : silentLogger());
  const codex = await startCodex(config, logger, { workerTuning: options.workerTuning, archiveSweepMs: options.archiveSweepMs });
  // The test's own view of the product's Redis (a test may point the product at a private one).
  const redis = new Redis(config.env.REDIS_URL);
  redis.on('error', () => undefined);
  const store = new TaskStore(redis, prefix);
  const sender = new SlackSender(`http://127.0.0.1:${codex.port}`, SIGNING_SECRET, (user) => fake.issueTrigger(user));
  return {
    fake,
    model,
    codex,
    config,
    sender,
    store,
    redis,
    upstream,
    dataDir,
    prefix,
    mirrorGit: (...args) => git(join(dataDir, 'mirrors', 'calc.git'), ...args),
    async cleanup() {
      await codex.stop(5_000);
      await model.close();
      await fake.close();
      // A test that failed mid-task leaves its job running past stop(), and its sandbox would
      // outlive this process: remove every container of this installation.
      const docker = new Docker();
      const left = await docker.listContainers({ all: true, filters: { label: [`codex.project=${prefix}`] } }).catch(() => []);
      await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
      // Egress networks of network commands (src/runner/egress.ts), once their proxies are gone.
      const networks = await docker.listNetworks({ filters: { label: [`codex.project=${prefix}`] } }).catch(() => []);
      await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
      // A test that took Redis away has nothing left there to delete.
      if (redis.status === 'ready') await deleteKeys(redis, prefix);
      redis.disconnect();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Sends `/codex <text>` as the owner in the default channel. */
export function slash(e: E2E, text: string, fields: { user_id?: string; channel_id?: string; team_id?: string } = {}) {
  return e.sender.slashCommand({ text, ...fields });
}

/** The sandbox containers of a task that still exist, a warm sandbox it claimed (named after it, see WarmPool.claim) included. */
export async function containersOf(taskId: string): Promise<string[]> {
  const docker = new Docker();
  const labelled = await docker.listContainers({ all: true, filters: { label: [`codex.task-id=${taskId}`] } });
  const claimed = await docker.listContainers({ all: true, filters: { label: ['codex.role=warm'], name: [`-${taskId}-w`] } });
  return [...labelled, ...claimed].map((c) => c.Names[0] ?? c.Id);
}

/** The warm-pool containers of an installation (claimed or not), oldest first. */
export async function warmContainersOf(prefix: string): Promise<Array<{ id: string; name: string; state: string }>> {
  const list = await new Docker().listContainers({ all: true, filters: { label: [`codex.project=${prefix}`, 'codex.role=warm'] } });
  return list.sort((a, b) => a.Created - b.Created).map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ''), state: c.State }));
}

export { FAKE_IDS };
