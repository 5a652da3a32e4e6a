import { App, type App as BoltApp } from '@slack/bolt';
import type { Server } from 'node:http';
import { LogLevel, WebClient } from '@slack/web-api';
import type { Env } from '../config.js';
import type { Logger } from '../logger.js';
import type { SlackIdentity } from './slack-identity.js';

/**
 * The Bolt app for the configured transport: Socket Mode when SLACK_APP_TOKEN is set (no public
 * URL needed), otherwise the HTTP receiver on PORT at /slack/events with signature checking on.
 * Web API calls go to SLACK_API_URL when set. 429s are handed back to our SlackPoster
 * (`rejectRateLimitedCalls`) so that the shared rate budget, not each client, decides waits.
 */
export function slackClientOptions(env: Pick<Env, 'SLACK_API_URL'>) {
  return {
    ...(env.SLACK_API_URL ? { slackApiUrl: withTrailingSlash(env.SLACK_API_URL) } : {}),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
    timeout: 15_000,
  };
}

/**
 * The bot's identity comes from `identity` (one `auth.test`, retried while Slack cannot be
 * reached) through Bolt's `authorize` hook, rather than from Bolt's own token check, which runs
 * in the constructor and ends the process with an unhandled rejection when Slack refuses the
 * token or cannot be reached. Events that arrive before Slack has answered are acknowledged and
 * dropped (Bolt logs "Authorization of incoming event did not succeed"); `/healthz` says why.
 */
export function createSlackApp(env: Env, logger: Logger, identity: SlackIdentity): BoltApp {
  const clientOptions = slackClientOptions(env);
  const boltLogger = {
    debug: (...m: unknown[]) => logger.debug({ bolt: m }, 'bolt'),
    info: (...m: unknown[]) => logger.info({ bolt: m }, 'bolt'),
    warn: (...m: unknown[]) => logger.warn({ bolt: m }, 'bolt'),
    error: (...m: unknown[]) => logger.error({ bolt: m }, 'bolt'),
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
  const authorize = async () => identity.authorization();
  const app = env.SLACK_APP_TOKEN
    ? new App({ authorize, appToken: env.SLACK_APP_TOKEN, socketMode: true, clientOptions, logger: boltLogger })
    : new App({
        authorize,
        signingSecret: env.SLACK_SIGNING_SECRET!,
        endpoints: '/slack/events',
        signatureVerification: true,
        clientOptions,
        logger: boltLogger,
        customRoutes: [
          {
            path: '/healthz',
            method: ['GET'],
            handler: (_req, res) => {
              const ready = identity.ready;
              res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
              res.end(ready ? 'ok' : `not ready: ${identity.notReadyReason}`);
            },
          },
        ],
      });
  // With `authorize`, Bolt builds `app.client` without a token; give it the bot token so that
  // code outside listeners (the poster, the worker) can call the Web API with it.
  app.client = new WebClient(env.SLACK_BOT_TOKEN, app.webClientOptions);
  return app;
}

/**
 * Starts the transport; returns the HTTP port actually bound (HTTP mode), for PORT=0 in tests.
 * HTTP mode listens at once (so `/healthz` can say what it waits for); Socket Mode connects
 * once Slack has accepted the bot token.
 */
export async function startSlackApp(app: BoltApp, env: Env, identity: SlackIdentity): Promise<number | undefined> {
  if (env.SLACK_APP_TOKEN) {
    await identity.whenReady();
    await app.start();
    return undefined;
  }
  const server = (await app.start(env.PORT)) as Server;
  const address = server.address();
  return typeof address === 'object' && address ? address.port : env.PORT;
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
