import { App, type App as BoltApp } from '@slack/bolt';
import type { Server } from 'node:http';
import { LogLevel } from '@slack/web-api';
import type { Env } from '../config.js';
import type { Logger } from '../logger.js';

/**
 * The Bolt app for the configured transport: Socket Mode when SLACK_APP_TOKEN is set (no public
 * URL needed), otherwise the HTTP receiver on PORT at /slack/events with signature checking on.
 * Web API calls go to SLACK_API_URL when set. 429s are handed back to our SlackPoster
 * (`rejectRateLimitedCalls`) so that the shared rate budget, not each client, decides waits.
 */
export function slackClientOptions(env: Env) {
  return {
    ...(env.SLACK_API_URL ? { slackApiUrl: withTrailingSlash(env.SLACK_API_URL) } : {}),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
    timeout: 15_000,
  };
}

export function createSlackApp(env: Env, logger: Logger): BoltApp {
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
  if (env.SLACK_APP_TOKEN) {
    return new App({ token: env.SLACK_BOT_TOKEN, appToken: env.SLACK_APP_TOKEN, socketMode: true, clientOptions, logger: boltLogger });
  }
  return new App({
    token: env.SLACK_BOT_TOKEN,
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
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('ok');
        },
      },
    ],
  });
}

/** Starts the transport; returns the HTTP port actually bound (HTTP mode), for PORT=0 in tests. */
export async function startSlackApp(app: BoltApp, env: Env): Promise<number | undefined> {
  if (env.SLACK_APP_TOKEN) {
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
