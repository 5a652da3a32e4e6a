import type { Redis } from 'ioredis';
import { renderCommandCenter } from '../blocks/app-home.js';
import type { Logger } from '../logger.js';
import type { SlackPoster } from '../slack-client/slack-poster.js';
import { buildHomeView, type HomeSources } from './home-view.js';

/** A person's App Home is published at most once in this long (Slack's views.publish is rate-limited per user). */
export const HOME_DEBOUNCE_MS = 3_000;
/** Only people who opened their App Home within this long get it refreshed. */
const VIEWER_TTL_MS = 24 * 3600_000;

/**
 * Keeps App Homes current: when a task changes state, the Homes of the people who may act on it
 * (and opened theirs lately) are rebuilt and published: at once when that person's Home was not
 * published within HOME_DEBOUNCE_MS, and once at the end of the window, however many tasks moved
 * meanwhile (a throttle: a lone change shows at once, a burst costs one publish per window).
 * `<prefix>:home-viewers` (zset by last open) says who looks.
 */
export class HomeRefresher {
  private readonly due = new Map<string, NodeJS.Timeout>();
  /** When this process last published each person's Home. */
  private readonly published = new Map<string, number>();

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
        if (seen === null || Number(seen) < since || this.due.has(user)) continue;
        const now = Date.now();
        // At once when the window is free (a lone change shows without delay)…
        if (now - (this.published.get(user) ?? 0) >= HOME_DEBOUNCE_MS) void this.publish(user);
        // …and once more at its end, with whatever moved meanwhile: a task's record can settle
        // just after the event that announced it (a turn's final status follows its delivery).
        const timer = setTimeout(() => {
          this.due.delete(user);
          void this.publish(user);
        }, Math.max(0, (this.published.get(user) ?? now) + HOME_DEBOUNCE_MS - now));
        timer.unref();
        this.due.set(user, timer);
      }
    })();
  }

  /** Publishes the person's Home now; `notice` is shown on top of it (a click that could not be carried out). */
  async publish(user: string, notice?: string): Promise<void> {
    this.published.set(user, Date.now());
    try {
      const view = renderCommandCenter({ ...(await buildHomeView(this.src, user)), ...(notice ? { notice } : {}) });
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
