import { describe, expect, it } from 'vitest';
import { boundedDiff, VIEW_MAX_BYTES } from '../../src/slack-client/code-channel-client.js';

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
