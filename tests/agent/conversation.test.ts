import { afterEach, describe, expect, it } from 'vitest';
import { openConversation } from '../../src/agent/conversation.js';
import { NOT_RUN_STOPPED } from '../../src/agent/prompts.js';
import { TaskStore } from '../../src/tasks/task-store.js';
import { testRedis } from '../helpers/redis.js';

/* Opening a turn's conversation: fresh, follow-up, or resumed after a worker restart. */

const messages = { firstMessage: 'Task from <@U1>:\nfix it', followUp: 'Follow-up from <@U1>:\nmore' };
const usage = { inputTokens: 10, cachedInputTokens: 2, outputTokens: 3 };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** The real conversation store: Redis, under a prefix unique to the test. */
function redisStore(): TaskStore {
  const r = testRedis();
  cleanups.push(r.cleanup);
  return new TaskStore(r.redis, r.prefix);
}

describe('openConversation', () => {
  it('starts with the first message when nothing is saved', async () => {
    const { conversation, resumed, lastSeq } = await openConversation(redisStore(), 't1', 1, messages);
    expect(conversation.items).toEqual([{ type: 'message', role: 'user', content: 'Task from <@U1>:\nfix it' }]);
    expect({ resumed, lastSeq, usage: conversation.usage }).toEqual({ resumed: false, lastSeq: 0, usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 } });
  });

  it('resumes a turn a restarted worker left half-way, handing back the calls that never finished', async () => {
    const store = redisStore();
    const items = [
      { type: 'message', role: 'user', content: 'Task' },
      { type: 'function_call', call_id: 'c0', name: 'apply_patch', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c0', output: 'Success.' },
      { type: 'function_call', call_id: 'c1', name: 'shell', arguments: '{"command":"ls"}' },
    ];
    const checkpoint = { commit: 'a'.repeat(40), turn: 1, step: 1, label: 'apply_patch a.js' };
    await store.save('t1', { items, lastSeq: 7, turn: 1, usage, checkpoint });
    const { conversation, resumed, lastSeq, pending } = await openConversation(store, 't1', 1, messages);
    expect(resumed).toBe(true);
    expect(lastSeq).toBe(7);
    expect(conversation.usage).toEqual(usage);
    // The unfinished call is the caller's to run again (resume-turn.ts) or to close.
    expect(conversation.items).toEqual(items);
    expect(pending).toEqual([items[3]]);
    expect(conversation.checkpoint).toEqual(checkpoint);
    conversation.closeDanglingCalls(NOT_RUN_STOPPED);
    expect(conversation.items.at(-1)).toEqual({ type: 'function_call_output', call_id: 'c1', output: 'Not run: the task was stopped before this call ran.' });
  });

  it("does not carry an earlier turn's checkpoint into a follow-up", async () => {
    const store = redisStore();
    await store.save('t1', { items: [{ type: 'message', role: 'user', content: 'Task' }], lastSeq: 3, turn: 1, usage, checkpoint: { commit: 'b'.repeat(40), turn: 1, step: 2, label: 'ls' } });
    const { conversation } = await openConversation(store, 't1', 2, messages);
    expect(conversation.checkpoint).toBeUndefined();
  });

  it('continues an earlier turn with the follow-up message', async () => {
    const store = redisStore();
    await store.save('t1', { items: [{ type: 'message', role: 'user', content: 'Task' }], lastSeq: 3, turn: 1, usage });
    const { conversation, resumed } = await openConversation(store, 't1', 2, messages);
    expect(resumed).toBe(false);
    expect(conversation.turn).toBe(2);
    expect(conversation.items.at(-1)).toEqual({ type: 'message', role: 'user', content: 'Follow-up from <@U1>:\nmore' });
  });
});
