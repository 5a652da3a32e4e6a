import type { Logger } from '../logger.js';
import { CodeChannelClient } from '../slack-client/code-channel-client.js';
import type { SlackPoster } from '../slack-client/slack-poster.js';
import type { CodeChannels } from '../tasks/code-channels.js';
import { RETENTION_SEC } from '../tasks/task-store.js';

/** How often every process looks for code channels whose task's retention has ended. */
export const ARCHIVE_SWEEP_MS = 60_000;
/** A failed archive is tried again this much later. */
const RETRY_MS = 10 * 60_000;

/**
 * Archives a task's Slack Code channel when the task's retention ends: an ended task's record
 * expires RETENTION_SEC after its end (a follow-up keeps it), and once it is gone nothing can
 * continue the task, so its channel is archived (agents.conversations.archive; its history
 * stays readable in Slack). Every process sweeps; one claims each channel (CodeChannels).
 */
export class CodeChannelArchiver {
  private timer?: NodeJS.Timeout;
  private readonly client: CodeChannelClient;

  constructor(
    private readonly channels: CodeChannels,
    poster: SlackPoster,
    private readonly logger: Logger,
    private readonly everyMs = ARCHIVE_SWEEP_MS,
  ) {
    this.client = new CodeChannelClient(poster);
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Archives the channels whose task is gone; looks at the others again when their record would expire. */
  async sweep(now = Date.now()): Promise<void> {
    try {
      for (const { channel, taskId, ttlMs } of await this.channels.due(now)) {
        if (ttlMs >= 0 || ttlMs === -1) {
          // Still kept: an ended task expires in ttlMs; a running one at least RETENTION_SEC after it ends.
          await this.channels.recheckAt(channel, now + (ttlMs >= 0 ? ttlMs + 1 : RETENTION_SEC * 1000));
          continue;
        }
        if (!(await this.channels.claimArchive(channel))) continue;
        try {
          await this.client.archive(channel);
          await this.channels.forget(channel, taskId);
          this.logger.info({ channel, taskId }, 'archived the code channel of a task whose retention ended');
        } catch (e) {
          this.logger.warn({ err: e, channel, taskId }, 'could not archive a code channel; trying again later');
          await this.channels.recheckAt(channel, now + RETRY_MS, true);
        }
      }
    } catch (e) {
      this.logger.debug({ err: e }, 'could not sweep code channels');
    }
  }
}
