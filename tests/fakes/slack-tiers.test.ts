import { describe, expect, it } from 'vitest';
import { WebClient } from '@slack/web-api';
import { startFakeSlack } from './slack-server.js';
import { FAKE_IDS } from './slack-workspace.js';
import { TierLimiter } from './slack-tiers.js';

describe('the fake Slack published rate limits', () => {
  it('holds a Tier 3 method to 50 calls in any minute, and says when the oldest leaves the window', () => {
    const tiers = new TierLimiter();
    for (let i = 0; i < 50; i++) expect(tiers.take('chat.update', 'C1', 1_000 + i * 100)).toBeUndefined();
    expect(tiers.take('chat.update', 'C1', 10_000)).toBe(51);
    expect(tiers.take('chat.update', 'C1', 61_001)).toBeUndefined();
    // Other methods and tiers count apart: views.publish is Tier 4 (100 a minute).
    for (let i = 0; i < 100; i++) expect(tiers.take('views.publish', undefined, 2_000)).toBeUndefined();
    expect(tiers.take('views.publish', undefined, 2_000)).toBeGreaterThan(0);
  });

  it('lets chat.postMessage burst three per channel, then one a second, each channel on its own', () => {
    const tiers = new TierLimiter();
    for (let i = 0; i < 3; i++) expect(tiers.take('chat.postMessage', 'C1', 0)).toBeUndefined();
    expect(tiers.take('chat.postMessage', 'C1', 0)).toBe(1);
    expect(tiers.take('chat.postMessage', 'C2', 0)).toBeUndefined();
    expect(tiers.take('chat.postMessage', 'C1', 1_000)).toBeUndefined();
    expect(tiers.take('chat.postMessage', 'C1', 1_500)).toBe(1);
  });

  it('answers 429 with Retry-After through the real client when asked to enforce them', async () => {
    const fake = await startFakeSlack({ publishedLimits: true });
    try {
      const client = new WebClient(fake.token, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
      for (let i = 0; i < 3; i++) await client.chat.postMessage({ channel: FAKE_IDS.channel, text: `m${i}` });
      await expect(client.chat.postMessage({ channel: FAKE_IDS.channel, text: 'one too many' })).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 1 });
      expect(fake.calls.filter((c) => c.status === 429)).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });
});
