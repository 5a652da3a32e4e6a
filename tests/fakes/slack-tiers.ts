/*
 * Slack's published Web API rate limits (https://docs.slack.dev/apis/web-api/rate-limits and
 * each method's page), enforced by the fake when a test asks for them (`publishedLimits`).
 * Limits apply per method per workspace per app: Tier 1 1+/min, Tier 2 20+/min, Tier 3 50+/min,
 * Tier 4 100+/min. The fake holds an app to the floor of its tier in any sliding minute (Slack
 * tolerates more in bursts; an app that stays under the floor is safe). chat.postMessage is in
 * the special tier: one message per second per channel, short bursts allowed; the fake allows
 * a burst of BURST and then one per second (a token bucket per channel). Methods not listed
 * (the newer agents.* methods, whose tiers are not published) are not limited.
 */

export type Tier = 1 | 2 | 3 | 4 | 'post';

export const METHOD_TIERS: Record<string, Tier> = {
  'auth.test': 4, // special; Tier 4-like
  'chat.postMessage': 'post',
  'chat.update': 3,
  'chat.delete': 3,
  'chat.postEphemeral': 4,
  'chat.getPermalink': 4, // special; Tier 4-like
  'reactions.add': 3,
  'reactions.remove': 2,
  'files.getUploadURLExternal': 4,
  'files.completeUploadExternal': 4,
  'conversations.replies': 3, // internal and Marketplace apps
  'conversations.history': 3,
  'views.publish': 4,
  'views.open': 4,
  'views.update': 4,
  'users.info': 4,
  'agents.sessions.setStatus': 3,
  'chat.startStream': 2,
  'chat.appendStream': 4,
  'chat.stopStream': 2,
};

const PER_MINUTE: Record<1 | 2 | 3 | 4, number> = { 1: 1, 2: 20, 3: 50, 4: 100 };
const BURST = 3;

/** Decides, call by call, whether Slack's published limits allow it; a refused call is not counted. */
export class TierLimiter {
  private readonly windows = new Map<string, number[]>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Seconds to wait (a 429's Retry-After), or undefined when the call is within the limits. */
  take(method: string, channel: string | undefined, now = Date.now()): number | undefined {
    const tier = METHOD_TIERS[method];
    if (tier === undefined) return undefined;
    if (tier === 'post') return this.takePost(channel ?? '-', now);
    const limit = PER_MINUTE[tier];
    const log = (this.windows.get(method) ?? []).filter((t) => t > now - 60_000);
    this.windows.set(method, log);
    if (log.length >= limit) return Math.max(1, Math.ceil((log[0]! + 60_000 - now) / 1000));
    log.push(now);
    return undefined;
  }

  private takePost(channel: string, now: number): number | undefined {
    const bucket = this.buckets.get(channel) ?? { tokens: BURST, at: now };
    bucket.tokens = Math.min(BURST, bucket.tokens + (now - bucket.at) / 1000);
    bucket.at = now;
    this.buckets.set(channel, bucket);
    if (bucket.tokens < 1) return 1;
    bucket.tokens -= 1;
    return undefined;
  }
}
