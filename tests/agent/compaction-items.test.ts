import { describe, expect, it } from 'vitest';
import { buildInBand, fitForSummary, isSummary, tailStart, TokenMeter, validCuts } from '../../src/agent/compaction-items.js';
import type { InputItem } from '../../src/agent/model-client.js';
import { compactionSummaryMessage, IMAGES_DROPPED_NOTE } from '../../src/agent/prompts.js';

/* The pure part of compaction: where a kept tail may start, and the in-band compacted conversation. */

const user = (content: string): InputItem => ({ role: 'user', type: 'message', content });
const call = (id: string): InputItem => ({ type: 'function_call', call_id: id, name: 'shell', arguments: '{}' });
const out = (id: string, size = 10): InputItem => ({ type: 'function_call_output', call_id: id, output: 'o'.repeat(size) });
const reasoning = (): InputItem => ({ type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'enc' }) as InputItem;

/** The API's rule: every output has its call and every call its output; reasoning never ends the input before its item. */
function valid(items: InputItem[]): boolean {
  const calls = new Set(items.flatMap((i) => (i.type === 'function_call' ? [String(i.call_id)] : [])));
  const outs = new Set(items.flatMap((i) => (i.type === 'function_call_output' ? [String(i.call_id)] : [])));
  return [...outs].every((id) => calls.has(id)) && [...calls].every((id) => outs.has(id));
}

describe('validCuts', () => {
  it('never splits parallel calls from their outputs, nor a reasoning item from what follows it', () => {
    const items = [user('ask'), reasoning(), call('a'), call('b'), out('a'), out('b'), user('steer'), call('c'), out('c')];
    const cuts = validCuts(items);
    expect(cuts).toEqual([9, 7, 6, 1]);
    for (const cut of cuts) expect(valid(items.slice(cut))).toBe(true);
  });
});

describe('buildInBand', () => {
  const history = [user('the original ask'), user('[Steering] use the other file'), call('a'), out('a', 5000), call('b'), out('b', 200), call('c'), out('c', 300)];

  it('keeps the ask byte for byte, the people\'s later words, the summary, and the latest whole pairs that fit', () => {
    const items = buildInBand({ items: history, summary: 'Goal: x', maxChars: 3000, keepRecent: true });
    expect(items[0]).toBe(history[0]);
    expect(items.map((i) => (i.type === 'message' ? 'msg' : i.type))).toEqual(['msg', 'msg', 'msg', 'function_call', 'function_call_output', 'function_call', 'function_call_output']);
    expect((items[1] as { content: string }).content).toBe('[Steering] use the other file');
    expect(isSummary(items[2]!)).toBe(true);
    expect(valid(items)).toBe(true);
    expect(JSON.stringify(items)).not.toContain('o'.repeat(5000));
  });

  it('replaces an earlier summary, drops images of older messages, and keeps no latest items when told so', () => {
    const withImage: InputItem = { role: 'user', type: 'message', content: [{ type: 'input_text', text: 'see screenshot' }, { type: 'input_image', image_url: 'data:image/jpeg;base64,AAAA', detail: 'auto' }] };
    const items = buildInBand({ items: [user('ask'), user(compactionSummaryMessage('old summary')), withImage, call('a'), out('a')], summary: 'new summary', maxChars: 4000, keepRecent: false });
    expect(items).toHaveLength(3);
    expect(JSON.stringify(items)).not.toContain('old summary');
    expect((items[1] as { content: string }).content).toBe(`see screenshot\n${IMAGES_DROPPED_NOTE}`);
    expect(JSON.stringify(items[2])).toContain('new summary');
  });
});

describe('fitForSummary and TokenMeter', () => {
  it('leaves out the middle of a conversation too long for the summary request, keeping the ask and a valid tail', () => {
    const items = [user('ask'), call('a'), out('a', 4000), call('b'), out('b', 4000), call('c'), out('c', 100)];
    const fit = fitForSummary(items, 1000);
    expect(fit[0]).toBe(items[0]);
    expect(fit.slice(1)).toEqual(items.slice(5));
    expect(fitForSummary(items, 100_000)).toEqual(items);
    expect(tailStart(items, 10)).toBe(items.length);
  });

  it('calibrates tokens per character on the server\'s count', () => {
    const meter = new TokenMeter();
    expect(meter.tokens(400)).toBe(100);
    meter.calibrate(1000, 500);
    expect(meter.tokens(400)).toBe(200);
    expect(meter.charsFor(200)).toBe(400);
  });
});
