import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import OpenAI from 'openai';
import { mention } from '../../../src/blocks/format.js';
import { runAgent, type AgentOutcome, type AgentTask } from '../../../src/agent/index.js';
import { DEFAULT_APPROVAL, DEFAULT_LIMITS, withBudgetDefaults, type ApprovalPolicy, type Budgets, type Limits, type RepoConfig } from '../../../src/config.js';
import { createLogger, silentLogger } from '../../../src/logger.js';
import { DockerSandbox } from '../../../src/runner/docker-sandbox.js';
import { startModelServer, type ModelServer, type ModelServerOptions, type Script } from '../../fakes/model-server.js';
import { TaskStore } from '../../../src/tasks/task-store.js';
import { testRedis } from '../../helpers/redis.js';
import { removeProjectNetworks } from '../../runner/helpers.js';
import { ArrayEventSink, QueueOpSource } from './memory-ports.js';

/*
 * One agent run wired to real things: a git repo fixture bind-mounted into a DockerSandbox
 * (image codex-sandbox:latest), the scripted model server reached through the real openai SDK,
 * conversations saved in real Redis, and event/op ports that tests can read and feed directly. Each harness has unique names and removes everything on cleanup.
 */

export const IMAGE = process.env.CODEX_SANDBOX_IMAGE ?? 'codex-sandbox:latest';
const API_KEY = 'sk-test-agent';

/** A tiny Node project whose test fails until `add` adds. */
export const CALC_REPO: Record<string, string> = {
  'package.json': '{ "name": "calc", "type": "module", "scripts": { "test": "node --test" } }\n',
  'src/math.js': 'export function add(a, b) {\n  return a - b;\n}\n',
  'test/math.test.js':
    "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { add } from '../src/math.js';\n\ntest('add adds', () => {\n  assert.equal(add(2, 3), 5);\n});\n",
  'AGENTS.md': '# Calc\nRun the tests with `node --test`.\n',
};

export interface HarnessOptions {
  script: Script;
  files?: Record<string, string>;
  approval?: Partial<ApprovalPolicy>;
  budgets?: Partial<Budgets>;
  turn?: number;
  prompt?: string;
  models?: string[];
  /** The key the SDK client sends (default: the server's). */
  clientKey?: string;
  /** More options of the scripted model server (its compact endpoint, its context window). */
  model?: Pick<ModelServerOptions, 'compact' | 'compactSummaryChars' | 'contextWindowTokens'>;
}

export interface Harness {
  task: AgentTask;
  dir: string;
  server: ModelServer;
  sandbox: DockerSandbox;
  events: ArrayEventSink;
  ops: QueueOpSource;
  /** Conversations are saved in real Redis (a prefix unique to this harness). */
  store: TaskStore;
  /** Runs the agent once (a turn) with this harness's ports; `signal` is AgentDeps.signal. */
  run(overrides?: Partial<AgentTask>, extra?: { signal?: AbortSignal }): Promise<AgentOutcome>;
  /** A file of the checkout, read on the host. */
  read(path: string): string;
  git(...args: string[]): string;
  cleanup(): Promise<void>;
}

const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Fixture', GIT_AUTHOR_EMAIL: 'fixture@example.com', GIT_COMMITTER_NAME: 'Fixture', GIT_COMMITTER_EMAIL: 'fixture@example.com' };

/** Creates the fixture repo, the sandbox and the model server. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const taskId = `agt${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), `agent-${taskId}-`));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'safe.directory=*', ...args], { cwd: dir, env: GIT_ENV, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  for (const [path, content] of Object.entries(options.files ?? CALC_REPO)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'fixture');
  git('checkout', '-q', '-b', `codex/${taskId}`);
  // The sandbox runs as the image's uid 1000; a root test runner gives it the checkout.
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', '1000:1000', dir]);
  else chownSync(dir, process.getuid!(), process.getgid!());

  const limits: Limits = { ...DEFAULT_LIMITS, memoryMb: 512, pids: 128, commandTimeoutSec: 30, maxCommandTimeoutSec: 120 };
  const approval: ApprovalPolicy = { ...DEFAULT_APPROVAL, mode: 'never', network: false, push: false, ...options.approval };
  const budgets: Budgets = withBudgetDefaults({ maxSteps: 30, maxMinutes: 10, ...options.budgets });
  const repo: RepoConfig = {
    name: 'calc',
    url: dir,
    baseBranch: 'main',
    image: IMAGE,
    setup: [],
    limits,
    approval,
    access: { approvers: [], steerers: [] },
    network: 'bridge',
    pushBranches: false,
    isolateObjects: false,
    networkAllow: [],
    pushUrl: dir,
  };
  const server = await startModelServer({ ...options.model, apiKey: API_KEY, script: options.script, ...(options.models ? { models: options.models } : {}) });
  // Its own installation label, so cleanup removes the egress proxy its network commands start.
  const project = `codex-test-agent-${taskId}`;
  const sandbox = new DockerSandbox({ taskId, image: IMAGE, workspaceDir: dir, limits, project });
  const events = new ArrayEventSink(taskId);
  const ops = new QueueOpSource(taskId);
  const redis = testRedis();
  const store = new TaskStore(redis.redis, redis.prefix);
  const task: AgentTask = {
    taskId,
    prompt: options.prompt ?? 'Fix the failing test in this repository.',
    mode: 'task',
    repo,
    model: 'test-model',
    budgets,
    approval,
    limits,
    owner: 'UOWNER1',
    turn: options.turn ?? 1,
  };
  const openai = new OpenAI({ apiKey: options.clientKey ?? API_KEY, baseURL: server.url });
  return {
    task,
    dir,
    server,
    sandbox,
    events,
    ops,
    store,
    // The worker starts the sandbox before the agent runs; so does the harness. People are named
    // as the Slack front end names them.
    run: async (overrides = {}, extra = {}) => {
      await sandbox.start();
      return runAgent({ ...task, ...overrides }, { sandbox, openai, events, ops, store, describePerson: mention, signal: extra.signal, logger: process.env.AGENT_TEST_LOG ? createLogger({ level: process.env.AGENT_TEST_LOG }) : silentLogger() });
    },
    read: (path) => readFileSync(join(dir, path), 'utf8'),
    git,
    async cleanup() {
      await sandbox.stop();
      await removeProjectNetworks(project);
      await server.close();
      await redis.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
