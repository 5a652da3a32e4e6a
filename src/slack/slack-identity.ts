import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import pRetry, { AbortError } from 'p-retry';
import type { Env } from '../config.js';
import type { Logger } from '../logger.js';
import { slackClientOptions } from './create-slack-app.js';

/*
 * Who the bot is in Slack (its user id, bot id and workspace), learnt from `auth.test` at start.
 *
 * Slack may answer late: when it cannot be reached, the check is retried with a capped backoff
 * (one log line per attempt, never a stack trace) while the rest of the process comes up, and
 * `/healthz` answers 503 with the reason. When Slack answers that the token is no good, that is
 * final: the start ends with one sentence naming SLACK_BOT_TOKEN. Code that needs the ids reads
 * them from here when it needs them (they are undefined until Slack has answered).
 */

/** `auth.test` errors that mean the token itself is refused: retrying cannot help. */
export const REJECTED_TOKEN_ERRORS: ReadonlySet<string> = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'not_allowed_token_type',
  'no_permission',
  'ekm_access_denied',
  'org_login_required',
  'team_access_not_granted',
  'two_factor_setup_required',
]);

/** Slack refused SLACK_BOT_TOKEN; the message is the one sentence a person reads. */
export class SlackTokenRejectedError extends Error {
  constructor(readonly slackError: string) {
    super(
      `Slack rejected SLACK_BOT_TOKEN (${slackError}): set it to the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page at https://api.slack.com/apps (reinstall the app if it was removed), then start again.`,
    );
    this.name = 'SlackTokenRejectedError';
  }
}

/** What went wrong with a Web API call, in a few words, and whether the token was refused. */
export function describeSlackFailure(e: unknown): { rejected?: string; reason: string } {
  const err = e as { code?: string; data?: { error?: string }; original?: Error; statusCode?: number; retryAfter?: number; message?: string };
  switch (err?.code) {
    case ErrorCode.PlatformError: {
      const error = err.data?.error ?? 'unknown_error';
      return REJECTED_TOKEN_ERRORS.has(error) ? { rejected: error, reason: `Slack rejected the token (${error})` } : { reason: `Slack answered ${error}` };
    }
    case ErrorCode.RequestError:
      return { reason: `Slack cannot be reached (${causeChain(err.original)})` };
    case ErrorCode.HTTPError:
      return { reason: `Slack answered HTTP ${err.statusCode}` };
    case ErrorCode.RateLimitedError:
      return { reason: `Slack is rate limiting (retry after ${err.retryAfter}s)` };
    default:
      return { reason: causeChain(e) };
  }
}

/** `fetch failed: connect ECONNREFUSED 127.0.0.1:9`: an error's message with its causes'. */
function causeChain(e: unknown): string {
  const parts: string[] = [];
  let current: unknown = e;
  for (let depth = 0; current && depth < 4; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.includes(message)) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ') || 'unknown error';
}

export interface SlackIdentityOptions {
  /** First retry delay (default 1 s); it doubles up to `maxDelayMs` (default 30 s). */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export class SlackIdentity {
  botUserId?: string;
  botId?: string;
  teamId?: string;
  private reason = 'checking SLACK_BOT_TOKEN with Slack (auth.test)';
  private readonly client: WebClient;
  private readonly abort = new AbortController();
  private done?: Promise<void>;
  private firstOutcome?: Promise<void>;

  constructor(
    private readonly env: Pick<Env, 'SLACK_BOT_TOKEN' | 'SLACK_API_URL'>,
    private readonly logger: Logger,
    private readonly options: SlackIdentityOptions = {},
  ) {
    // Its own client: one quick try per attempt (the backoff below does the retrying).
    this.client = new WebClient(env.SLACK_BOT_TOKEN, { ...slackClientOptions(env), retryConfig: { retries: 0 }, timeout: 10_000, logLevel: LogLevel.ERROR });
  }

  get ready(): boolean {
    return this.botUserId !== undefined;
  }

  /** Why the bot is not ready yet (for `/healthz`). */
  get notReadyReason(): string {
    return this.reason;
  }

  /**
   * Starts checking the token and resolves after the first answer: at once when Slack accepted
   * it, or when Slack could not be reached (checking goes on in the background). Rejects with
   * SlackTokenRejectedError when Slack refused the token.
   */
  start(): Promise<void> {
    if (this.firstOutcome) return this.firstOutcome;
    let settleFirst!: (e?: unknown) => void;
    this.firstOutcome = new Promise<void>((resolve, reject) => {
      settleFirst = (e) => (e === undefined ? resolve() : reject(e));
    });
    const maxMs = this.options.maxDelayMs ?? 30_000;
    this.done = pRetry(
      async () => {
        try {
          const auth = await this.client.auth.test();
          this.botId = auth.bot_id;
          this.teamId = auth.team_id;
          this.botUserId = auth.user_id;
          this.reason = 'ready';
        } catch (e) {
          const failure = describeSlackFailure(e);
          this.reason = failure.reason;
          if (failure.rejected) throw new AbortError(new SlackTokenRejectedError(failure.rejected));
          throw new Error(failure.reason);
        }
      },
      {
        retries: Number.POSITIVE_INFINITY,
        factor: 2,
        minTimeout: this.options.minDelayMs ?? 1_000,
        maxTimeout: maxMs,
        signal: this.abort.signal,
        onFailedAttempt: ({ error, attemptNumber, retryDelay }) => {
          this.logger.warn(`Slack is not ready (attempt ${attemptNumber}): ${error.message}; trying again in ${Math.round(retryDelay / 1000)}s`);
          if (attemptNumber === 1) settleFirst();
        },
      },
    );
    this.done.then(
      () => {
        this.logger.info({ team: this.teamId, botUserId: this.botUserId }, 'Slack accepted SLACK_BOT_TOKEN');
        settleFirst();
      },
      (e: unknown) => settleFirst(e),
    );
    return this.firstOutcome;
  }

  /** Resolves once Slack accepted the token; rejects with SlackTokenRejectedError if it refused it. */
  whenReady(): Promise<void> {
    if (!this.done) void this.start().catch(() => undefined);
    return this.done!;
  }

  /** What Bolt's `authorize` returns: the bot's token and ids, once Slack has confirmed them. */
  authorization(): { botToken: string; botId?: string; botUserId: string; teamId?: string } {
    if (!this.botUserId) throw new Error(`Slack has not accepted SLACK_BOT_TOKEN yet: ${this.reason}`);
    return { botToken: this.env.SLACK_BOT_TOKEN, botId: this.botId, botUserId: this.botUserId, teamId: this.teamId };
  }

  /** Stops retrying (shutdown). */
  stop(): void {
    this.abort.abort(new Error('stopped'));
  }
}
