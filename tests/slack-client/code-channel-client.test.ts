import { WebClient } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { slackSettingsSchema } from '../../src/config-policies.js';
import { silentLogger } from '../../src/logger.js';
import { boundedDiff, CodeChannelClient, VIEW_MAX_BYTES } from '../../src/slack-client/code-channel-client.js';
import { RateBudget } from '../../src/slack-client/rate-budget.js';
import { SlackPoster } from '../../src/slack-client/slack-poster.js';
import { FAKE_IDS, startFakeSlack } from '../fakes/slack-server.js';
import { testRedis } from '../helpers/redis.js';

describe('boundedDiff (a code channel diff view within Slack’s 1 MB)', () => {
  it('keeps a diff that fits whole', () => {
    const diff = 'diff --git a/x b/x\n+hello\n';
    expect(boundedDiff(diff)).toBe(diff);
  });

  it('cuts a larger diff on a line boundary and says so on its last line', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `+line ${i} ${'é'.repeat(10)}`);
    const diff = `${lines.join('\n')}\n`;
    const out = boundedDiff(diff, 400);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(400);
    const body = out.split('\n# … diff truncated')[0]!;
    expect(diff.startsWith(body)).toBe(true);
    expect(lines).toContain(body.split('\n').at(-1));
    expect(out).toMatch(new RegExp(`# … diff truncated: ${Buffer.byteLength(body)} of ${Buffer.byteLength(diff)} bytes shown; the whole diff is attached in the task's thread\\.\\n$`));
  });

  it('stays within the cap for a diff of one huge line', () => {
    const out = boundedDiff(`+${'x'.repeat(VIEW_MAX_BYTES * 2)}`);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(VIEW_MAX_BYTES);
    expect(out).toContain('diff truncated');
  });
});

describe('CodeChannelClient.archive', () => {
  it('is done when the channel is archived already or gone, and fails on other errors', async () => {
    const fake = await startFakeSlack();
    const unscoped = await startFakeSlack({ scopes: ['chat:write'] });
    const r = testRedis();
    const clientOf = (f: typeof fake) =>
      new CodeChannelClient(new SlackPoster(new WebClient(f.token, { slackApiUrl: f.apiUrl, retryConfig: { retries: 0 } }), new RateBudget(r.redis, r.prefix), slackSettingsSchema.parse({}), silentLogger()));
    try {
      const client = clientOf(fake);
      // Deleted by someone (unknown to Slack): nothing is left to archive, so no retry for ever.
      await expect(client.archive('C0DELETED1')).resolves.toBeUndefined();
      // A channel that is not a code channel is refused as such, and that ends it too.
      await expect(client.archive(FAKE_IDS.channel)).resolves.toBeUndefined();
      // Any other error is for the caller, which tries again later.
      await expect(clientOf(unscoped).archive('C0DELETED1')).rejects.toMatchObject({ data: { error: 'missing_scope' } });
    } finally {
      await r.cleanup();
      await fake.close();
      await unscoped.close();
    }
  });
});
