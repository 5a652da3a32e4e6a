import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobIdFor, QUEUE_NAME } from '../../src/tasks/task-queue.js';
import type { E2E } from './e2e.js';
import { checkMessage } from '../fakes/block-kit-validator.js';
import type { FakeSlack, RecordedCall } from '../fakes/slack-server.js';
import type { SendOptions, SlackHttpResult, SlashCommandFields } from '../fakes/slack-signing.js';

/*
 * Checks shared by the Slack front end's end-to-end tests (tests/e2e/slack-*.test.ts).
 */

/** Error codes Slack answers when a message's text, blocks or arguments break its limits. */
export const LIMIT_ERRORS = new Set(['invalid_blocks', 'invalid_blocks_format', 'msg_too_long', 'msg_blocks_too_long', 'invalid_arguments', 'invalid_metadata_format', 'metadata_too_large', 'no_text']);

/** Calls the fake refused for breaking a limit, as readable lines (empty when all passed). */
export function limitFailures(fake: FakeSlack): string[] {
  return fake.calls
    .filter((c) => c.response.ok !== true && LIMIT_ERRORS.has(String(c.response.error)))
    .map((c) => `${c.method} → ${String(c.response.error)} ${JSON.stringify(c.response.errors ?? c.response.response_metadata ?? '')}`);
}

/** Every call the fake did not answer with `ok: true`, 429s included. */
export function failedCalls(fake: FakeSlack): RecordedCall[] {
  return fake.calls.filter((c) => c.response.ok !== true);
}

/** Task records (and their streams) under a prefix: `<prefix>:task:*`. */
export async function taskKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:task:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys.sort();
}

/**
 * Sends `/codex <text>` (as the owner in the default channel unless `fields` say otherwise)
 * with its response_url on the fake, so that anything the app sends through `respond()` is
 * recorded in `fake.responses()` instead of going to hooks.slack.com.
 */
export function sendCommand(e: E2E, text: string, fields: Partial<SlashCommandFields> = {}, options?: SendOptions): Promise<SlackHttpResult> {
  return e.sender.slashCommand({ text, response_url: e.fake.responseUrl(), ...fields }, options);
}

export interface AckMessage {
  response_type?: string;
  text: string;
  blocks?: unknown[];
}

/**
 * The message a slash command's acknowledgement carries in its HTTP body, checked against the
 * same Block Kit limits the fake applies to chat.postMessage: Slack shows an invalid ack body
 * as a generic failure, so it must pass them too.
 */
export function ackMessage(result: SlackHttpResult): AckMessage {
  if (result.status !== 200) throw new Error(`ack was HTTP ${result.status}: ${result.body}`);
  const body = result.json as AckMessage | undefined;
  if (!body || typeof body.text !== 'string') throw new Error(`ack carries no message: ${JSON.stringify(result.body)}`);
  const check = checkMessage(body);
  if (!check.ok) throw new Error(`ack message breaks Slack's limits: ${check.error} ${JSON.stringify(check.issues)}`);
  return body;
}

/** Everything a person reads in a message: fallback text and block texts. */
export function visibleText(m: { text?: string; blocks?: unknown[] }): string {
  return `${m.text ?? ''}\n${JSON.stringify(m.blocks ?? [])}`;
}

/**
 * Waits until the worker has finished a task's job: its reporter has then delivered everything
 * (thread messages, the final card), so what the fake recorded is complete.
 */
export async function waitForJobEnd(e: E2E, taskId: string, timeoutMs: number, turn = 1): Promise<void> {
  const queue = new Queue(QUEUE_NAME, { connection: { url: e.config.env.REDIS_URL }, prefix: `${e.prefix}-bull` });
  try {
    await e.fake.waitFor(async () => {
      const state = await queue.getJobState(jobIdFor(taskId, turn));
      return state === 'completed' || state === 'failed';
    }, timeoutMs);
  } finally {
    await queue.close();
  }
}
