import type { KnownBlock } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { encodeButtonValue, parseApprovalButtonValue, parseButtonValue, parseTaskButtonValue } from '../../src/blocks/button-value.js';
import { section } from '../../src/blocks/block-kit.js';
import { buildMessage } from '../../src/blocks/message.js';
import { parseTaskMessageMetadata, taskMessageMetadata } from '../../src/blocks/metadata.js';
import { expectValid, preview } from './preview.js';

describe('button values', () => {
  it('round-trips ids and refuses anything else', () => {
    expect(encodeButtonValue({ t: 'k3x9q2m1' })).toBe('{"t":"k3x9q2m1"}');
    expect(parseTaskButtonValue('{"t":"k3x9q2m1"}')).toEqual({ t: 'k3x9q2m1' });
    expect(parseApprovalButtonValue('{"t":"k3x9q2m1","a":"ap_7"}')).toEqual({ t: 'k3x9q2m1', a: 'ap_7' });
    expect(parseButtonValue('{"t":"k3x9q2m1","a":"ap_7"}')).toEqual({ t: 'k3x9q2m1', a: 'ap_7' });
    for (const bad of [undefined, 42, '', 'not json', '{"t":""}', '{"t":"a b"}', '{"t":"x","cmd":"rm -rf /"}', '["x"]', `{"t":"${'a'.repeat(101)}"}`]) {
      expect(parseButtonValue(bad)).toBeUndefined();
    }
    expect(parseApprovalButtonValue('{"t":"k3x9q2m1"}')).toBeUndefined();
    expect(parseTaskButtonValue('{"t":"k3x9q2m1","a":"ap_7"}')).toBeUndefined();
    expect(() => encodeButtonValue({ t: 'has space' })).toThrow();
  });
});

describe('task message metadata', () => {
  it('builds and reads back codex_task_* metadata', () => {
    const md = taskMessageMetadata('approval', 'k3x9q2m1', { approvalId: 'ap_7' });
    expect(md).toEqual({ event_type: 'codex_task_approval', event_payload: { task_id: 'k3x9q2m1', approval_id: 'ap_7' } });
    expect(parseTaskMessageMetadata(md)).toEqual({ kind: 'approval', taskId: 'k3x9q2m1', approvalId: 'ap_7' });
    expect(parseTaskMessageMetadata({ event_type: 'other_app_event', event_payload: { task_id: 'x' } })).toBeUndefined();
    expect(parseTaskMessageMetadata({ event_type: 'codex_task_unknown', event_payload: { task_id: 'x' } })).toBeUndefined();
    expect(parseTaskMessageMetadata(undefined)).toBeUndefined();
  });
});

describe('buildMessage', () => {
  it('drops trailing content past 50 blocks or the text budget, keeping the buttons', () => {
    const blocks: KnownBlock[] = [
      ...Array.from({ length: 80 }, (_, i) => section(`part ${i} ${'x'.repeat(200)}`)),
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Stop' }, action_id: 'codex_stop', value: '{"t":"a"}' }] },
    ];
    const msg = buildMessage('fallback', blocks);
    expectValid(msg);
    expect(msg.blocks.at(-1)?.type).toBe('actions');
    expect(preview(msg).split('\n').slice(-2)).toMatchInlineSnapshot(`
      [
        "[context] … 42 more parts of this message not shown (Slack's size limit)",
        "[actions] Stop (codex_stop, {"t":"a"})",
      ]
    `);
  });
});
