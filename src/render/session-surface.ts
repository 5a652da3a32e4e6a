import type { Logger } from '../logger.js';
import type { SlackPoster } from '../slack-client/slack-poster.js';
import type { CardState } from './card-state.js';

/** A thread's agent-session status in Slack: `processing` shows the native Stop button. */
export type SessionStatus = 'processing' | 'active';

/**
 * The session status a task's card state means: `processing` while a turn works (Slack shows
 * its Stop button), `active` while it waits for a person (an approval, after Stop) and once the
 * turn has ended (a reply in the thread carries the task on, so the session stays open); none
 * while the task waits in the queue.
 */
export function sessionStatusOf(state: CardState): SessionStatus | undefined {
  switch (state.status) {
    case 'starting':
    case 'working':
      return 'processing';
    case 'queued':
      return undefined;
    default:
      return 'active';
  }
}

/**
 * Slack's agent-session surface of one task's thread, one more reader of the task's events:
 * it sets the thread's session status as the card state moves (agents.sessions.setStatus,
 * only on a change), and its title follows the task's (a follow-up's prompt renames it:
 * agents.sessions.rename). A workspace or app without agent sessions answers with an error
 * once; the surface then stays quiet for this task, and the card and thread carry on as they are.
 */
export class SessionSurface {
  private last?: SessionStatus;
  /** The session's title in Slack (set when the session is created, then by renames). */
  private title?: string;
  private off = false;

  constructor(
    private readonly poster: SlackPoster,
    private readonly logger: Logger,
  ) {}

  async show(where: { channel: string; threadTs: string }, state: CardState): Promise<void> {
    const status = sessionStatusOf(state);
    if (this.off || status === undefined) return;
    try {
      if (status !== this.last) {
        await this.poster.setSessionStatus(where.channel, where.threadTs, status, { title: state.prompt, initiator: state.owner });
        // A session that existed before this renderer keeps its title: renaming to the same is harmless.
        this.title ??= this.last === undefined && state.turn === 1 ? state.prompt : undefined;
        this.last = status;
      }
    } catch (e) {
      this.off = true;
      this.logger.info({ err: e, taskId: state.taskId }, 'agent sessions are not available here; the thread and card carry on without them');
      return;
    }
    if (state.prompt && state.prompt !== this.title) {
      // Tried once per title: a failed rename leaves the old title, nothing else.
      this.title = state.prompt;
      await this.poster.renameSession(where.channel, where.threadTs, state.prompt).catch((e: unknown) => this.logger.info({ err: e, taskId: state.taskId }, 'could not rename the agent session'));
    }
  }
}
