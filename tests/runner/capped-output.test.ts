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
});
