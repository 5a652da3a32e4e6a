import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { App as BoltApp } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import { registerCodexCommand } from './slack/codex-command.js';
import { readStartConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { registerActions } from './slack/actions.js';
import { registerAppHome } from './slack/app-home.js';
import { registerHomeControls } from './slack/home-controls.js';
import { registerSessionEvents } from './slack/session-events.js';
import { startAutomationRunner } from './slack/automation-runner.js';
import { createSlackApp, slackClientOptions, startSlackApp } from './slack/create-slack-app.js';
import { RateBudget } from './slack-client/rate-budget.js';
import { SlackPoster } from './slack-client/slack-poster.js';
import { SlackIdentity, SlackTokenRejectedError } from './slack/slack-identity.js';
import type { SlackDeps } from './slack/slack-deps.js';
import { registerThreadEvents } from './slack/thread-events.js';
import { mention } from './blocks/format.js';
import { createRenderHub } from './render/create-render-hub.js';
import { HomeRefresher } from './render/home-refresher.js';
import { decidersOf } from './tasks/access.js';
import { Automations } from './tasks/automations.js';
import { TaskLifecycle } from './tasks/lifecycle.js';
import { CodeChannels } from './tasks/code-channels.js';
import { MessageRefs } from './tasks/message-refs.js';
import { TaskQueue } from './tasks/task-queue.js';
import { TaskStore } from './tasks/task-store.js';
import { startWorker, type RunningWorker, type WorkerTuning } from './worker/start-worker.js';

export interface CodexProcess {
  /** The HTTP port the Slack receiver listens on (HTTP mode with the app role). */
  port?: number;
  worker?: RunningWorker;
  /** Stops taking new work, lets running tasks finish (up to `graceMs`), and closes everything. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Wires the process from config: the Slack app (role `app` or `all`) and the worker (role
 * `worker` or `all`) over one Redis. The only place where adapters meet.
 */
export async function startCodex(config: Config, logger: Logger = createLogger({ level: config.env.LOG_LEVEL }), options: { workerTuning?: WorkerTuning; archiveSweepMs?: number } = {}): Promise<CodexProcess> {
  const { env } = config;
  const role = env.CODEX_ROLE;
  const prefix = env.CODEX_REDIS_PREFIX;
  const bullPrefix = `${prefix}-bull`;
  // No offline queue: when Redis is down, commands fail at once instead of piling up, so the
  // app can still answer Slack within its 3 seconds.
  const redis = new Redis(env.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, retryStrategy: (n) => Math.min(n * 200, 2_000) });
  redis.on('error', (e) => logger.debug({ err: e }, 'redis connection error'));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5_000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  if (redis.status !== 'ready') logger.warn({ redis: env.REDIS_URL }, 'Redis is not reachable yet; tasks will be refused until it is');

  const store = new TaskStore(redis, prefix);
  const refs = new MessageRefs(redis, prefix);
  const budget = new RateBudget(redis, prefix);
  // BullMQ needs its offline queue while it connects; callers bound its calls with deadlines.
  const queue = new TaskQueue({ url: env.REDIS_URL, maxRetriesPerRequest: 1, connectTimeout: 2_000 }, bullPrefix);
  queue.queue.on('error', (e) => logger.debug({ err: e }, 'queue connection error'));

  // Bot user and team ids from auth.test: they may arrive late (Slack unreachable), so read lazily.
  const identity = new SlackIdentity(env, logger);
  let slackApp: BoltApp | undefined;
  let client: WebClient;
  if (role !== 'worker') {
    slackApp = createSlackApp(env, logger, identity);
    client = slackApp.client;
  } else {
    client = new WebClient(env.SLACK_BOT_TOKEN, slackClientOptions(env));
  }
  // Throws SlackTokenRejectedError when Slack refuses the token; an unreachable Slack is retried.
  await identity.start();
  const team = () => identity.teamId ?? 'default';
  const poster = new SlackPoster(client, budget, config.file.slack, logger, team);
  const lifecycle = new TaskLifecycle(store, queue);
  const automations = new Automations(redis, prefix, { url: env.REDIS_URL, maxRetriesPerRequest: 1, connectTimeout: 2_000 }, bullPrefix);
  automations.queue.on('error', (e) => logger.debug({ err: e }, 'automation queue connection error'));
  let automationRunner: Worker | undefined;
  const home = new HomeRefresher({ config, store, automations, redis, prefix }, poster, logger);

  let port: number | undefined;
  if (slackApp) {
    const deps: SlackDeps = { config, logger, redis, store, lifecycle, automations, home, refs, codeChannels: new CodeChannels(redis, prefix), poster, prefix, get botUserId() { return identity.botUserId; }, get teamId() { return identity.teamId; } };
    registerCodexCommand(slackApp, deps);
    registerThreadEvents(slackApp, deps);
    registerActions(slackApp, deps);
    registerAppHome(slackApp, deps);
    registerHomeControls(slackApp, deps);
    registerSessionEvents(slackApp, deps);
    // Automations' occurrences run where the listeners are (they post a task's card).
    automationRunner = startAutomationRunner(deps, { url: env.REDIS_URL, maxRetriesPerRequest: null }, bullPrefix);
    slackApp.error(async (e) => logger.error({ err: e }, 'unhandled error in a Slack listener'));
    port = await startSlackApp(slackApp, env, identity);
    logger.info({ port, socketMode: Boolean(env.SLACK_APP_TOKEN) }, 'slack app started');
  }
  await identity.whenReady();
  // Every process renders task events into Slack: one renderer per task across all of them.
  const renderers = createRenderHub({
    redisUrl: env.REDIS_URL,
    prefix,
    // The renderers retry a failed delivery themselves, checking first whether a post whose
    // answer was lost landed after all (task-renderer.ts): the client must not post it again blindly.
    client: new WebClient(env.SLACK_BOT_TOKEN, { ...slackClientOptions(env), retryConfig: { retries: 0 } }),
    slack: config.file.slack,
    team,
    logger,
    deciders: (task) => {
      const repo = config.findRepo(task.repo);
      return decidersOf(repo, repo && config.approvalFor(repo, task.channel), task.owner);
    },
    // The App Homes that show a task that moved: its owner's and its repo's approvers'.
    onStatus: (task) => home.touch([task.owner, ...(config.findRepo(task.repo)?.access.approvers ?? [])]),
    archiveSweepMs: options.archiveSweepMs,
  });
  const worker = role !== 'app' ? await startWorker({ config, logger, redisUrl: env.REDIS_URL, prefix, bullPrefix, describePerson: mention, tuning: options.workerTuning }) : undefined;

  let stopping: Promise<void> | undefined;
  return {
    port,
    worker,
    stop(graceMs?: number) {
      stopping ??= (async () => {
        identity.stop();
        await slackApp?.stop().catch((e: unknown) => logger.warn({ err: e }, 'could not stop the slack app'));
        await worker?.stop(graceMs);
        home.stop();
        await automationRunner?.close().catch(() => undefined);
        await automations.close().catch(() => undefined);
        await renderers.stop();
        await queue.close().catch(() => undefined);
        redis.disconnect();
      })();
      return stopping;
    },
  };
}

async function main(): Promise<void> {
  const read = readStartConfig();
  if ('problem' in read) {
    process.stderr.write(`${read.problem}\n`);
    process.exit(1);
  }
  const { config } = read;
  const logger = createLogger({ level: config.env.LOG_LEVEL });
  let codex: CodexProcess;
  try {
    codex = await startCodex(config, logger);
  } catch (e) {
    if (e instanceof SlackTokenRejectedError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down: no new tasks; waiting for running ones');
    codex.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  main().catch((e: unknown) => {
    process.stderr.write(`codex-slack failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
