import type { Redis } from 'ioredis';
import { renderCommandCenter } from '../blocks/app-home.js';
import type { Logger } from '../logger.js';
import type { SlackPoster } from '../slack-client/slack-poster.js';
import { buildHomeView, type HomeSources } from './home-view.js';

/** A person's App Home is refreshed at most this often (Slack's views.publish is rate-limited per user). */
export const HOME_DEBOUNCE_MS = 3_000;
/** Only people who opened their App Home within this long get it refreshed. */
const VIEWER_TTL_MS = 24 * 3600_000;

/**
 * Keeps App Homes current: when a task changes state, the Homes of the people who may act on it
 * (and opened theirs lately) are rebuilt and published, once per person per HOME_DEBOUNCE_MS
 * however many tasks moved. `<prefix>:home-viewers` (zset by last open) says who looks.
 */
export class HomeRefresher {
  private readonly due = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly src: HomeSources & { redis: Redis },
    private readonly poster: SlackPoster,
    private readonly logger: Logger,
  ) {}

  private get viewersKey(): string {
    return `${this.src.prefix}:home-viewers`;
  }

  /** The person opened their App Home: publish it now, and keep it fresh for a day. */
  async opened(user: string): Promise<void> {
    await this.src.redis.zadd(this.viewersKey, Date.now(), user).catch(() => undefined);
    await this.publish(user);
  }

  /** These people's Homes may show a task that moved: refresh those that are being looked at. */
  touch(users: readonly string[]): void {
    void (async () => {
      const since = Date.now() - VIEWER_TTL_MS;
      for (const user of new Set(users)) {
        if (this.due.has(user)) continue;
        const seen = await this.src.redis.zscore(this.viewersKey, user).catch(() => null);
        if (seen === null || Number(seen) < since) continue;
        const timer = setTimeout(() => {
          this.due.delete(user);
          void this.publish(user);
        }, HOME_DEBOUNCE_MS);
        timer.unref();
        this.due.set(user, timer);
      }
    })();
  }

  async publish(user: string): Promise<void> {
    try {
      const view = renderCommandCenter(await buildHomeView(this.src, user));
      await this.poster.publishHome(user, view);
    } catch (e) {
      this.logger.warn({ err: e, user }, 'could not publish the App Home');
    }
  }

  stop(): void {
    for (const t of this.due.values()) clearTimeout(t);
    this.due.clear();
  }
}
