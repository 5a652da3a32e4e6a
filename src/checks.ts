import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogLevel, WebClient } from '@slack/web-api';
import type Docker from 'dockerode';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import type { Env, RepoConfig } from './config.js';
import { CodexError } from './errors.js';
import { credentialEnv, type GitCredentials } from './runner/git-auth.js';
import { runHostGit } from './runner/host-git.js';
import { slackClientOptions } from './slack/create-slack-app.js';
import { describeSlackFailure } from './slack/slack-identity.js';
import { redactSecrets } from './util/redact.js';
import { withTimeout } from './util/with-timeout.js';

/*
 * Checks of everything a running installation depends on, each bounded by a timeout and each
 * ending in one line: what was found, or what is wrong and what to do about it. `npm run doctor`
 * runs them all; the worker's start-up warnings (worker/warn-unreachable.ts) reuse some.
 */

export interface CheckResult {
  name: string;
  ok: boolean;
  /** On success what was found; on failure one sentence: what is wrong and what to do next. */
  detail: string;
}

/** A failed check's sentence (thrown by a check, shown as is). */
export class CheckFailure extends Error {}

export const CHECK_TIMEOUT_MS = 10_000;

/** Runs `check` under a timeout; its return value is the success detail, a throw the failure. */
export async function runCheck(name: string, check: () => Promise<string>, timeoutMs = CHECK_TIMEOUT_MS): Promise<CheckResult> {
  try {
    const detail = await withTimeout(check(), timeoutMs, 'timeout', name);
    return { name, ok: true, detail: redactSecrets(detail) };
  } catch (e) {
    const detail =
      e instanceof CheckFailure ? e.message : (e as { code?: string }).code === 'timeout' ? `no answer within ${Math.round(timeoutMs / 1000)}s: check that it is running and reachable.` : `${(e as Error).message ?? String(e)}.`;
    return { name, ok: false, detail: redactSecrets(detail) };
  }
}

/** The bot scopes manifest.json asks for (the file beside package.json). */
export function manifestBotScopes(): string[] {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4 && !existsSync(join(dir, 'manifest.json')); i++) dir = dirname(dir);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { oauth_config: { scopes: { bot: string[] } } };
  return manifest.oauth_config.scopes.bot;
}

/** auth.test with SLACK_BOT_TOKEN, and the token's scopes (x-oauth-scopes) against the manifest's. */
export async function checkSlackToken(env: Pick<Env, 'SLACK_BOT_TOKEN' | 'SLACK_API_URL'>, wantedScopes: string[]): Promise<string> {
  const client = new WebClient(env.SLACK_BOT_TOKEN, { ...slackClientOptions(env), retryConfig: { retries: 0 }, timeout: CHECK_TIMEOUT_MS - 1_000, logLevel: LogLevel.ERROR });
  let auth: Awaited<ReturnType<WebClient['auth']['test']>>;
  try {
    auth = await client.auth.test();
  } catch (e) {
    const failure = describeSlackFailure(e);
    if (failure.rejected) throw new CheckFailure(`Slack rejected SLACK_BOT_TOKEN (${failure.rejected}): set it to the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page.`);
    throw new CheckFailure(`${failure.reason}: check the network${env.SLACK_API_URL ? ' and SLACK_API_URL' : ''}.`);
  }
  const granted = auth.response_metadata?.scopes ?? [];
  const missing = wantedScopes.filter((s) => !granted.includes(s));
  if (missing.length > 0) {
    throw new CheckFailure(`the token lacks the scopes ${missing.join(', ')}: update the app from manifest.json (or add them under OAuth & Permissions) and reinstall it to the workspace.`);
  }
  return `bot ${auth.user ?? auth.user_id} in ${auth.team ?? auth.team_id}, all ${wantedScopes.length} scopes of manifest.json granted`;
}

/** Socket Mode: the app-level token's shape; HTTP mode: the signing secret's (32 hex digits). */
export async function checkSlackTransport(env: Pick<Env, 'SLACK_APP_TOKEN' | 'SLACK_SIGNING_SECRET'>): Promise<string> {
  if (env.SLACK_APP_TOKEN) {
    if (!/^xapp-\d+-[A-Z0-9]+-\d+-[0-9a-f]+$/i.test(env.SLACK_APP_TOKEN)) {
      throw new CheckFailure('SLACK_APP_TOKEN is not an app-level token (xapp-1-…): create one with connections:write under Basic Information → App-Level Tokens.');
    }
    return 'Socket Mode, app-level token set';
  }
  const secret = env.SLACK_SIGNING_SECRET?.trim() ?? '';
  if (!secret) throw new CheckFailure('SLACK_SIGNING_SECRET is not set: copy the Signing Secret from Basic Information → App Credentials (or set SLACK_APP_TOKEN for Socket Mode).');
  if (!/^[0-9a-f]{32}$/i.test(secret)) {
    throw new CheckFailure('SLACK_SIGNING_SECRET does not look like a Slack signing secret (32 hexadecimal characters): copy it again from Basic Information → App Credentials.');
  }
  return 'HTTP mode, signing secret set';
}

export async function checkRedis(url: string): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const pong = await redis.ping();
    return `PING answered ${pong}`;
  } catch (e) {
    throw new CheckFailure(`no answer from Redis at ${url} (${(e as Error).message}): start Redis or set REDIS_URL.`);
  } finally {
    redis.disconnect();
  }
}

export async function checkDocker(docker: Docker, dockerHost: string | undefined): Promise<string> {
  const where = dockerHost ?? 'the local socket';
  try {
    await docker.ping();
    const version = (await docker.version()) as { Version?: string };
    return `engine ${version.Version ?? ''} at ${where}`.replace('  ', ' ');
  } catch (e) {
    throw new CheckFailure(`cannot reach the Docker engine at ${where} (${(e as Error).message}): start Docker or set DOCKER_HOST.`);
  }
}

/** The image exists on the engine; says how to get it when it does not. */
export async function checkImage(docker: Docker, image: string, env: Pick<Env, 'CODEX_SANDBOX_IMAGE' | 'CODEX_EGRESS_IMAGE'>): Promise<string> {
  try {
    const info = await docker.getImage(image).inspect();
    return `present (${info.Id.slice(7, 19)})`;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 404) throw new CheckFailure(`could not look up image ${image} (${(e as Error).message}): check the Docker engine.`);
    // `npm run sandbox:build` builds both images under the names the environment gives them.
    const how = image === env.CODEX_SANDBOX_IMAGE || image === env.CODEX_EGRESS_IMAGE ? 'build it with `npm run sandbox:build`' : `build it, or pull it with \`docker pull ${image}\`, or remove \`image\` from the repo to use ${env.CODEX_SANDBOX_IMAGE}`;
    throw new CheckFailure(`image ${image} is missing: ${how}.`);
  }
}

/** Every image the configured repos run in (the default one included when a repo uses it). */
export function configuredImages(repos: RepoConfig[]): string[] {
  return [...new Set(repos.map((r) => r.image))];
}

export async function checkModel(env: Pick<Env, 'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'CODEX_MODEL'>): Promise<string> {
  const where = env.OPENAI_BASE_URL ?? 'api.openai.com';
  const openai = new OpenAI({ apiKey: env.OPENAI_API_KEY ?? '', baseURL: env.OPENAI_BASE_URL, maxRetries: 0, timeout: CHECK_TIMEOUT_MS - 1_000 });
  try {
    const model = await openai.models.retrieve(env.CODEX_MODEL);
    return `${model.id} at ${where}`;
  } catch (e) {
    if (e instanceof OpenAI.AuthenticationError) throw new CheckFailure(`${where} refused OPENAI_API_KEY (401): set OPENAI_API_KEY to a valid key for that server.`);
    if (e instanceof OpenAI.NotFoundError) throw new CheckFailure(`${where} has no model ${env.CODEX_MODEL} (404): set CODEX_MODEL to a model it serves.`);
    if (e instanceof OpenAI.APIConnectionError) throw new CheckFailure(`cannot reach ${where} (${causeMessage(e)}): check OPENAI_BASE_URL and the network.`);
    if (e instanceof OpenAI.APIError) throw new CheckFailure(`${where} answered HTTP ${e.status} (${e.message}): check OPENAI_BASE_URL and CODEX_MODEL.`);
    throw e;
  }
}

function causeMessage(e: Error): string {
  const cause = e.cause as Error | undefined;
  return cause?.message && cause.message !== e.message ? `${e.message}: ${cause.message}` : e.message;
}

/**
 * `git ls-remote` of the repo's url and base branch with the worker's hardened host git (no
 * hooks, no credential helpers from config, no prompts), so it sees what a task's fetch sees.
 */
export async function checkRepo(repo: Pick<RepoConfig, 'name' | 'url' | 'baseBranch'>, timeoutMs = CHECK_TIMEOUT_MS - 1_000, credentials?: () => Promise<GitCredentials | undefined>): Promise<string> {
  let out: string;
  let auth: Record<string, string>;
  try {
    // A repo on a code host is read with its token, as a task's fetch is (see runner/git-auth.ts).
    auth = credentialEnv(await credentials?.());
  } catch (e) {
    throw new CheckFailure(CodexError.isInstance(e) ? e.userMessage : `could not get a token for ${repo.name}: ${(e as Error).message}`);
  }
  try {
    const result = await runHostGit(['ls-remote', '--heads', '--', repo.url, repo.baseBranch], {
      timeoutMs,
      // ssh must not wait for a passphrase or a host-key question nobody will answer.
      env: { GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes', ...auth },
    });
    out = result.stdout;
  } catch (e) {
    const stderr = (e as Error).message.replace(/^git ls-remote[\s\S]*? failed \(exit -?\d+\): /, '');
    const why = (stderr.split('\n')[0] ?? '').trim().replace(/^fatal: /, '').replace(/\.$/, '');
    throw new CheckFailure(`cannot fetch ${repo.url} (${why}): fix the repo's url, or give the worker's user access to it (SSH key or credentials).`);
  }
  if (!out.split('\n').some((l) => l.endsWith(`\trefs/heads/${repo.baseBranch}`))) {
    throw new CheckFailure(`${repo.url} has no branch ${repo.baseBranch}: set the repo's baseBranch to an existing branch.`);
  }
  return `${repo.url} has ${repo.baseBranch}`;
}
