import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';

/* The process logger: JSON for collectors, readable lines on a terminal, credentials redacted. */

function capture(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { stream, text: () => out };
}

const secrets = {
  token: 'xoxb-1111-secret',
  client: { botToken: 'xoxb-2222-secret', appToken: 'xapp-1-A-1-secret' },
  env: { SLACK_BOT_TOKEN: 'xoxb-3333-secret', OPENAI_API_KEY: 'sk-4444-secret', SLACK_SIGNING_SECRET: 'abcd-secret' },
  req: { headers: { authorization: 'Bearer xoxb-5555-secret', cookie: 'session=secret' } },
  bolt: [{ token: 'xoxb-6666-secret' }],
  git: { password: 'hunter2-secret' },
};

describe('createLogger', () => {
  it('writes one JSON object per line when not on a terminal, with credentials redacted', () => {
    const out = capture();
    const logger = createLogger({ pretty: false, destination: out.stream, level: 'info' });
    logger.info(secrets, 'wired up');
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry.msg).toBe('wired up');
    expect(out.text()).not.toContain('secret"');
    expect(out.text()).not.toMatch(/xox[bp]-\d|sk-4444|hunter2/);
    expect(JSON.stringify(entry.env)).toContain('[redacted]');
  });

  it('writes readable lines (level, message, fields) when pretty, still redacted', () => {
    const out = capture();
    const logger = createLogger({ pretty: true, destination: out.stream, level: 'info' });
    logger.warn(secrets, 'Slack is not ready (attempt 1)');
    const text = out.text();
    expect(() => JSON.parse(text.trim().split('\n')[0]!)).toThrow();
    expect(text).toMatch(/WARN.*Slack is not ready \(attempt 1\)/);
    expect(text).not.toMatch(/xox[bp]-\d|sk-4444|hunter2/);
  });
});
