import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { CodeChannels } from '../tasks/code-channels.js';
import type { MessageRefs } from '../tasks/message-refs.js';
import type { HomeRefresher } from '../render/home-refresher.js';
import type { Automations } from '../tasks/automations.js';
import type { TaskLifecycle } from '../tasks/lifecycle.js';
import type { TaskStore } from '../tasks/task-store.js';
import type { SlackPoster } from '../slack-client/slack-poster.js';

/** What the Slack listeners need; built once in src/app.ts. */
export interface SlackDeps {
  config: Config;
  logger: Logger;
  /** Fails fast when Redis is down (no offline queue), so Slack's 3-second ack is always met. */
  redis: Redis;
  store: TaskStore;
  refs: MessageRefs;
  /** Tasks' Slack Code channels: a message or native Stop there reaches its task. */
  codeChannels: CodeChannels;
  /** The only way listeners change a task's status or turn. */
  lifecycle: TaskLifecycle;
  /** Scheduled tasks (`/codex schedule`). */
  automations: Automations;
  /** People's App Homes (the command center), published and kept fresh. */
  home: HomeRefresher;
  poster: SlackPoster;
  /** The bot's own user id, to recognise mentions of it and its own messages. */
  botUserId?: string;
  /** The bot's own workspace; people of others are refused unless allowed (access.isForeignTeam). */
  teamId?: string;
  /** Redis key prefix shared with the workers (heartbeats, budgets). */
  prefix: string;
}

/** How long the app waits on Redis before telling the person the service is unavailable. */
export const REDIS_DEADLINE_MS = 1_500;
