import type { WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import type { SlackSettings } from '../config.js';
import type { Logger } from '../logger.js';
import { RateBudget } from '../slack-client/rate-budget.js';
import { SlackPoster } from '../slack-client/slack-poster.js';
import { CodeChannels } from '../tasks/code-channels.js';
import { MessageRefs } from '../tasks/message-refs.js';
import { RenderProgress } from '../tasks/render-progress.js';
import { TaskStore } from '../tasks/task-store.js';
import { CodeChannelArchiver } from './code-channel-archiver.js';
import { RenderHub } from './render-hub.js';
import type { RendererDeps } from './task-renderer.js';

/**
 * A process's RenderHub on a Redis connection of its own. That connection waits out a Redis
 * restart (unlike the listeners' fail-fast one): what a task did must reach its thread late
 * rather than never. `stop` stops the hub and closes the connection.
 */
export function createRenderHub(input: {
  redisUrl: string;
  prefix: string;
  client: WebClient;
  slack: SlackSettings;
  /** Workspace id: the key of the shared chat.update budget (read when needed: it may arrive late). */
  team: string | (() => string);
  logger: Logger;
  deciders: RendererDeps['deciders'];
  onStatus?: RendererDeps['onStatus'];
  leaseMs?: number;
  scanMs?: number;
  /** How often code channels of tasks whose retention ended are looked for (CodeChannelArchiver). */
  archiveSweepMs?: number;
}): { hub: RenderHub; stop(): Promise<void> } {
  const redis = new Redis(input.redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', (e) => input.logger.debug({ err: e }, 'renderer redis connection error'));
  const store = new TaskStore(redis, input.prefix);
  const poster = new SlackPoster(input.client, new RateBudget(redis, input.prefix), input.slack, input.logger, input.team);
  const codeChannels = new CodeChannels(redis, input.prefix);
  const hub = new RenderHub({
    redisUrl: input.redisUrl,
    activityKey: store.key('activity'),
    store,
    progress: new RenderProgress(redis, input.prefix),
    refs: new MessageRefs(redis, input.prefix),
    codeChannels,
    poster,
    logger: input.logger,
    deciders: input.deciders,
    onStatus: input.onStatus,
    leaseMs: input.leaseMs,
    scanMs: input.scanMs,
  });
  hub.start();
  // Channels made while the setting was on are archived with their tasks even once it is off.
  const archiver = new CodeChannelArchiver(codeChannels, poster, input.logger, input.archiveSweepMs);
  archiver.start();
  return {
    hub,
    async stop() {
      archiver.stop();
      await hub.stop();
      redis.disconnect();
    },
  };
}
