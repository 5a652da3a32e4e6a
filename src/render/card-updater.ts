import { renderStatusCard } from '../blocks/index.js';
import type { Logger } from '../logger.js';
import type { TaskRecord } from '../tasks/task-record.js';
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
    private readonly task: TaskRecord,
    private readonly poster: SlackPoster,
    private readonly logger: Logger,
  ) {
    this.loop = this.run();
    this.ticker = setInterval(() => {
      if (this.latest && !FINAL_STATUSES.has(this.latest.status)) this.show(this.latest);
    }, REFRESH_MS);
    this.ticker.unref();
  }

  show(state: CardState): void {
    this.latest = state;
    this.dirty = true;
    this.wake?.();
  }

  /** Sends `state` as the last update (waiting for budget as needed) and stops. */
  async finish(state: CardState): Promise<void> {
    clearInterval(this.ticker);
    this.latest = state;
    this.dirty = true;
    this.closed = true;
    this.wake?.();
    await this.loop;
    await this.poster.leaveUpdates(this.task.id).catch(() => undefined);
  }

  private async run(): Promise<void> {
    for (;;) {
      if (!this.dirty) {
        if (this.closed) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      if (!this.closed) {
        const interval = await this.poster.updateShare(this.task.id).catch(() => 1_000);
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
      await this.send(this.latest!, this.closed);
    }
  }

  private async send(state: CardState, final: boolean): Promise<void> {
    const cardTs = this.task.cardTs;
    if (!cardTs) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.poster.update(this.task.id, this.task.channel, cardTs, renderCard(state), 'status');
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
