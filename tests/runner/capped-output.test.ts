import { describe, expect, it } from 'vitest';
import { CappedOutput } from '../../src/runner/capped-output.js';

describe('CappedOutput', () => {
  it('keeps everything up to the cap, across chunks', () => {
    const out = new CappedOutput(10);
    for (const part of ['abc', 'defg', 'hij']) out.push(Buffer.from(part));
    expect(out.text()).toBe('abcdefghij');
    expect(out.truncated).toBe(false);
    expect(out.totalBytes).toBe(10);
  });

  it('keeps head and tail with a marker saying how much was cut', () => {
    const out = new CappedOutput(10);
    out.push(Buffer.from('HEAD1'));
    for (let i = 0; i < 1000; i++) out.push(Buffer.from('middle'));
    out.push(Buffer.from('TAIL9'));
    expect(out.truncated).toBe(true);
    expect(out.cutBytes).toBe(6000);
    expect(out.text()).toBe('HEAD1\n[… output truncated: 6000 bytes (5.9 KiB) cut from the middle of 6010 bytes …]\nTAIL9');
  });

  it('holds only the cap in memory for a huge stream', () => {
    const out = new CappedOutput(64 * 1024);
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    for (let i = 0; i < 50; i++) out.push(chunk);
    expect(out.bytes().length).toBe(64 * 1024);
    expect(out.text()).toContain('cut from the middle of 52428800 bytes');
  });

  it('never splits a UTF-8 character at the cut', () => {
    const out = new CappedOutput(8);
    out.push(Buffer.from('ééééé'));
    out.push(Buffer.from('ü'.repeat(20)));
    const text = out.text();
    expect(text).not.toContain('\uFFFD');
    expect(text.startsWith('éé')).toBe(true);
    expect(text.endsWith('üü')).toBe(true);
  });

  it('cuts at line ends, dropping a line cut in two rather than showing part of it', () => {
    const out = new CappedOutput(40);
    out.push(Buffer.from('first line\nTOKEN=abcdefghijklmnop'));
    for (let i = 0; i < 100; i++) out.push(Buffer.from(`line ${i}\n`));
    out.push(Buffer.from('last'));
    const text = out.text();
    expect(text.startsWith('first line\n[… output truncated:')).toBe(true);
    expect(text).not.toContain('TOKEN=a');
    // The tail starts at a whole line: no digit-less "ine 9x" fragment.
    expect(text.split('\n').slice(2)).toEqual(['line 98', 'line 99', 'last']);
    expect(text).toMatch(/output truncated: (\d+) bytes/);
    const cut = Number(/output truncated: (\d+) bytes/.exec(text)![1]);
    expect(cut + 'first line\n'.length + 'line 98\nline 99\nlast'.length).toBe(out.totalBytes);
  });

  it('keeps a tail line whole when the cut fell exactly at its start', () => {
    const out = new CappedOutput(20);
    out.push(Buffer.from('0123456789'));
    out.push(Buffer.from('x'.repeat(50) + '\n'));
    out.push(Buffer.from('abcdefghi\n'));
    expect(out.text().endsWith('…]\nabcdefghi\n')).toBe(true);
  });
});
