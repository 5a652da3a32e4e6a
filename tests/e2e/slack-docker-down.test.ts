import { afterEach, describe, expect, it } from 'vitest';
import { message, reply } from '../fakes/model-server.js';
import { FAKE_IDS, startE2E, type E2E } from '../helpers/e2e.js';
import { ackMessage, sendCommand, taskKeys } from '../helpers/slack-checks.js';

/*
 * The worker cannot reach Docker (DOCKER_HOST names a socket nobody serves): `/codex task` is
 * acknowledged within Slack's 3 seconds with a sentence saying so, and nothing is created.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

describe('Docker down', () => {
  it('answers /codex task at once with an ephemeral sentence and creates nothing', { timeout: 60_000 }, async () => {
    e = await startE2E({ script: [reply(message('never'))], env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    const res = await sendCommand(e, 'task fix the add function');
    expect(res.elapsedMs).toBeLessThan(3_000);
    const ack = ackMessage(res);
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toMatch(/Docker/);
    expect(ack.text).toMatch(/Try again/);
    expect(e.fake.messages(FAKE_IDS.channel)).toEqual([]);
    expect(await taskKeys(e.redis, e.prefix)).toEqual([]);
    expect(e.model.requests).toEqual([]);
  });
});
