import type { ConversationStore, SavedConversation, TokenUsage } from '../tasks/protocol.js';
import type { CallUsage, InputItem } from './model-client.js';
import { NOT_RUN_STOPPED, RESUMED_NOTE } from './prompts.js';

/*
 * The task's conversation: the Responses API input, only ever appended to (the prompt cache
 * depends on it) except when a compaction replaces it, saved after every step so another worker can resume from the last complete
 * one. Every function_call in it gets a function_call_output, or the API rejects the input.
 */

export class Conversation {
  /** How many items the store already holds (they never change: saves append the rest). */
  #persisted: number;

  constructor(
    readonly items: InputItem[],
    public usage: TokenUsage,
    readonly turn: number,
    persisted = 0,
  ) {
    this.#persisted = persisted;
  }

  append(...items: InputItem[]): void {
    this.items.push(...items);
  }

  /**
   * Replaces the whole conversation (a compaction, src/agent/compaction.ts): the one place it
   * does not grow by appending; the next save writes it whole.
   */
  replace(items: readonly InputItem[]): void {
    this.items.splice(0, this.items.length, ...items);
    this.#persisted = 0;
  }

  addUser(text: string): void {
    this.items.push({ role: 'user', content: text, type: 'message' });
  }

  /** A user message with images (data URLs): the text, then each image as an input_image part. */
  addUserWithImages(text: string, images: readonly string[]): void {
    if (images.length === 0) return this.addUser(text);
    this.items.push({ role: 'user', type: 'message', content: [{ type: 'input_text', text }, ...images.map((url) => ({ type: 'input_image' as const, image_url: url, detail: 'auto' as const }))] });
  }

  addOutput(callId: string, output: string): void {
    this.items.push({ type: 'function_call_output', call_id: callId, output });
  }

  addUsage(u: CallUsage): TokenUsage {
    this.usage = {
      inputTokens: this.usage.inputTokens + u.inputTokens,
      cachedInputTokens: this.usage.cachedInputTokens + u.cachedInputTokens,
      outputTokens: this.usage.outputTokens + u.outputTokens,
    };
    return this.usage;
  }

  /** Gives every function call without an output the output `text`, keeping the input valid. */
  closeDanglingCalls(text: string): void {
    const answered = new Set(this.items.flatMap((i) => (i.type === 'function_call_output' ? [i.call_id] : [])));
    for (const item of [...this.items]) {
      if (item.type === 'function_call' && !answered.has(item.call_id)) this.addOutput(item.call_id, text);
    }
  }

  async save(store: ConversationStore, taskId: string, lastSeq: number): Promise<void> {
    const saved: SavedConversation = { items: this.items as unknown as SavedConversation['items'], lastSeq, turn: this.turn, usage: this.usage };
    const count = this.items.length;
    await store.save(taskId, saved, this.#persisted);
    this.#persisted = count;
  }
}

const ZERO: TokenUsage = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };

/**
 * Opens the conversation of a turn. A saved conversation of the same turn is resumed as is
 * (a worker restarted mid-turn); one of an earlier turn is continued with `followUp`; with
 * none, the conversation starts with `firstMessage`.
 */
export async function openConversation(
  store: ConversationStore,
  taskId: string,
  turn: number,
  messages: { firstMessage: string; followUp: string },
): Promise<{ conversation: Conversation; lastSeq: number; resumed: boolean }> {
  const saved = await store.load(taskId);
  if (!saved || saved.items.length === 0) {
    const conversation = new Conversation([], { ...(saved?.usage ?? ZERO) }, turn);
    conversation.addUser(messages.firstMessage);
    return { conversation, lastSeq: saved?.lastSeq ?? 0, resumed: false };
  }
  const conversation = new Conversation([...(saved.items as InputItem[])], { ...saved.usage }, turn, saved.items.length);
  conversation.closeDanglingCalls(NOT_RUN_STOPPED);
  if (saved.turn >= turn) {
    // The turn's edits lived only in the old checkout (the host commits at the end of a turn),
    // so the model must not trust what it remembers of the files.
    conversation.addUser(RESUMED_NOTE);
    return { conversation, lastSeq: saved.lastSeq, resumed: true };
  }
  conversation.addUser(messages.followUp);
  return { conversation, lastSeq: saved.lastSeq, resumed: false };
}
