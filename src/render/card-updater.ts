import { renderStatusCard } from '../blocks/index.js';
import type { Logger } from '../logger.js';
import { FINAL_STATUSES } from '../tasks/task-record.js';
import type { CardState } from './card-state.js';
import type { SlackPoster } from '../slack-client/slack-poster.js';

/** While a task runs, the card is refreshed at least this often so its elapsed time moves. */
const REFRESH_MS = 30_000;
const FINAL_ATTEMPTS = 6;

/** Renders the card of a state; elapsed time is computed here so rendering stays pure. */
export function renderCard(state: CardState, now = Date.now()) {
  const elapsedMs = state.startedAtMs ? (state.endedAtMs ?? now) - state.startedAtMs : undefined;
  return renderStatusCard({ ...state, elapsedMs });
}

/**
 * Keeps one task's status card current with as few `chat.update` calls as possible: only the
 * newest state is ever sent (no backlog), at most once per fair share of the workspace budget
 * (SlackPoster/RateBudget), and the final state is always delivered, retried until it lands.
 */
export class CardUpdater {
  private latest?: CardState;
  private dirty = false;
  private closed = false;
  private wake?: () => void;
  private lastSentAt = 0;
  private readonly loop: Promise<void>;
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly taskId: string,
    /** Where the card is; undefined until the app has posted it. */
    private readonly where: () => { channel: string; cardTs: string } | undefined,
    private readonly poster: SlackPoster,
    private readonly logger: Logger,
  ) {
    this.loop = this.run();
    // Only a running task's elapsed time moves; a queued or ended card has nothing new to show.
    this.ticker = setInterval(() => {
      if (this.latest?.startedAtMs !== undefined && !FINAL_STATUSES.has(this.latest.status)) this.show(this.latest);
    }, REFRESH_MS);
    this.ticker.unref();
  }

  show(state: CardState): void {
    this.latest = state;
    this.dirty = true;
    this.wake?.();
  }

  /**
   * Shows `state` and resolves once it (or a newer state) has been sent: for the moments a
   * person must see and not have coalesced away, like a follow-up turn waiting in the queue.
   */
  async showNow(state: CardState): Promise<void> {
    this.show(state);
    await new Promise<void>((resolve) => this.sentWaiters.push(resolve));
  }

  private sentWaiters: Array<() => void> = [];

  /** Sends `state` as the last update (waiting for budget as needed) and stops; resolves once it is delivered (or given up). */
  async finish(state: CardState): Promise<void> {
    clearInterval(this.ticker);
    this.latest = state;
    this.dirty = true;
    this.closed = true;
    this.wake?.();
    await this.loop;
    await this.poster.leaveUpdates(this.taskId).catch(() => undefined);
  }

  private async run(): Promise<void> {
    for (;;) {
      if (!this.dirty) {
        if (this.closed) {
          for (const w of this.sentWaiters.splice(0)) w();
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      if (!this.closed) {
        const interval = await this.poster.updateShare(this.taskId).catch(() => 1_000);
        const wait = this.lastSentAt + interval - Date.now();
        if (wait > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, wait);
            this.wake = () => {
              if (this.closed) {
                clearTimeout(timer);
                resolve();
              }
            };
          });
          this.wake = undefined;
        }
      }
      this.dirty = false;
      const waiters = this.sentWaiters;
      this.sentWaiters = [];
      await this.send(this.latest!, this.closed);
      for (const w of waiters) w();
    }
  }

  private async send(state: CardState, final: boolean): Promise<void> {
    const where = this.where();
    if (!where) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.poster.update(this.taskId, where.channel, where.cardTs, renderCard(state), 'status');
        this.lastSentAt = Date.now();
        return;
      } catch (e) {
        this.logger.warn({ err: e, attempt, final }, 'could not update the status card');
        if (!final || attempt >= FINAL_ATTEMPTS) return;
        await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
      }
    }
  }
}
