import { describe, expect, it } from 'vitest';
import { formatDuration, formatElapsed, formatTokens, formatUsage, mention, slackTime } from '../../src/blocks/format.js';
import { clampPath, codeBlock, escapeMrkdwn, inlineCode, tailText, truncateText } from '../../src/blocks/limits.js';

describe('escapeMrkdwn', () => {
  it('escapes the three control characters and nothing else', () => {
    expect(escapeMrkdwn('a & b <!channel> <@U1> <https://x|y> *bold* `code`')).toBe('a &amp; b &lt;!channel&gt; &lt;@U1&gt; &lt;https://x|y&gt; *bold* `code`');
  });
});

describe('truncateText', () => {
  it('returns text that fits unchanged (escaped when asked)', () => {
    expect(truncateText('a < b', 10, { escape: true })).toBe('a &lt; b');
  });

  it('drops whole lines first and says how many', () => {
    const text = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n');
    expect(truncateText(text, 1000, { maxLines: 3 })).toBe('line 1\nline 2\nline 3\n… 17 more lines');
    const cut = truncateText(text, 60);
    expect(cut.length).toBeLessThanOrEqual(60);
    expect(cut).toMatch(/^line 1\n.*\n… \d+ more lines$/s);
  });

  it('cuts inside one long line and counts the characters left out', () => {
    const out = truncateText('x'.repeat(5000), 100);
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out).toMatch(/^x+ … 4,9\d\d more characters$/);
    const left = Number(/… ([\d,]+) more/.exec(out)![1]!.replace(/,/g, ''));
    expect(out.indexOf(' …') + left).toBe(5000);
  });

  it('measures the escaped length and never splits an entity', () => {
    const out = truncateText('<'.repeat(1000), 50, { escape: true });
    expect(out.length).toBeLessThanOrEqual(50);
    expect(out).toMatch(/^(&lt;)+ … [\d,]+ more characters$/);
  });

  it('never leaves half a surrogate pair', () => {
    const out = truncateText('😀'.repeat(100), 41);
    expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe('tailText and codeBlock', () => {
  const output = Array.from({ length: 2000 }, (_, i) => `out ${i + 1}`).join('\n');

  it('keeps the last lines and counts the earlier ones', () => {
    expect(tailText(output, 10_000, 3)).toBe('… 1,997 earlier lines\nout 1998\nout 1999\nout 2000');
  });

  it('keeps the end of one huge line', () => {
    const out = tailText('y'.repeat(10_000), 200, 5);
    expect(out.length).toBeLessThanOrEqual(200);
    expect(out).toMatch(/^… 9,\d{3} earlier characters y+$/);
  });

  it('fences content so it cannot close the block or inject markup', () => {
    const block = codeBlock('```\n<!channel> & done', 200);
    expect(block).toBe('```\n`\u200b`\u200b`\n&lt;!channel&gt; &amp; done\n```');
    const tail = codeBlock(output.replace(/out/g, '<out>'), 500, { keep: 'tail', maxLines: 15 });
    expect(tail.length).toBeLessThanOrEqual(500);
    expect(tail.endsWith('&lt;out&gt; 2000\n```')).toBe(true);
  });

  it('inline code is one line without backticks', () => {
    expect(inlineCode('echo `date`\nrm -rf <x>')).toBe('`echo ˋdateˋ ⏎ rm -rf &lt;x&gt;`');
    expect(inlineCode('a'.repeat(100), 10)).toBe('`aaaaaaaaa…`');
  });

  it('clampPath keeps the file name', () => {
    expect(clampPath('src/very/deep/directory/structure/file.ts', 20)).toBe('…y/structure/file.ts');
    expect(clampPath('src/a.ts', 20)).toBe('src/a.ts');
  });
});

describe('format', () => {
  it('formats elapsed time for the card', () => {
    expect([formatElapsed(0), formatElapsed(42_000), formatElapsed(125_000), formatElapsed(3_720_000)]).toEqual(['0s', '42s', '2m 05s', '1h 02m']);
  });

  it('formats command durations', () => {
    expect([formatDuration(350), formatDuration(2100), formatDuration(2149), formatDuration(65_000)]).toEqual(['350ms', '2.1s', '2.1s', '1m 05s']);
  });

  it('formats token counts', () => {
    expect([950, 12_000, 12_345, 999_949, 999_999, 1_234_567].map(formatTokens)).toEqual(['950', '12k', '12.3k', '999.9k', '1M', '1.2M']);
    expect(formatUsage({ inputTokens: 12_300, cachedInputTokens: 8_100, outputTokens: 2_100 })).toBe('12.3k in (8.1k cached) · 2.1k out');
    expect(formatUsage({ inputTokens: 500, cachedInputTokens: 0, outputTokens: 20 })).toBe('500 in · 20 out');
  });

  it('renders times in the reader’s time zone and mentions only real user ids', () => {
    expect(slackTime('2026-01-02T14:05:00Z')).toBe('<!date^1767362700^{time}|14:05 UTC>');
    expect(mention('U0OWNER001')).toBe('<@U0OWNER001>');
    expect(mention('here> <!channel')).toBe('someone');
  });
});
