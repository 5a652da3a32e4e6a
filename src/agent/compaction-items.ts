import type { InputItem, ToolSpec } from './model-client.js';
import { COMPACTION_SUMMARY_MARK, compactionSummaryMessage, IMAGES_DROPPED_NOTE } from './prompts.js';

/*
 * The pure part of context compaction: measuring a request in tokens, choosing which latest
 * items a compacted conversation keeps (never splitting a function call from its output, nor
 * a reasoning item from what follows it), and building the in-band compacted conversation.
 */

/**
 * Estimates the tokens of a request from its size, calibrated on the server's own count: after
 * each response, tokens per character of what was sent. Before any response, 4 characters a token.
 */
export class TokenMeter {
  #perChar = 0.25;

  /** The characters of a request as the meter counts them: instructions, tools and input. */
  static chars(request: { instructions: string; tools: readonly ToolSpec[]; input: readonly InputItem[] }): number {
    return JSON.stringify([request.instructions, request.tools, request.input]).length;
  }

  calibrate(chars: number, inputTokens: number): void {
    if (chars > 0 && inputTokens > 0) this.#perChar = inputTokens / chars;
  }

  tokens(chars: number): number {
    return Math.ceil(chars * this.#perChar);
  }

  /** The characters `tokens` tokens hold. */
  charsFor(tokens: number): number {
    return Math.floor(tokens / this.#perChar);
  }
}

const size = (items: readonly InputItem[]) => (items.length === 0 ? 2 : JSON.stringify(items).length);

/**
 * Where a kept tail may start: `items[i..]` holds the output of every call in it and the call of
 * every output in it, and does not begin right after a reasoning item (the API wants a
 * reasoning item with the item it preceded). `items.length` (keep nothing) is always valid.
 */
export function validCuts(items: readonly InputItem[]): number[] {
  const cuts = [items.length];
  const openOutputs = new Set<string>();
  for (let i = items.length - 1; i >= 1; i -= 1) {
    const item = items[i]!;
    if (item.type === 'function_call_output') openOutputs.add(String(item.call_id));
    if (item.type === 'function_call') openOutputs.delete(String(item.call_id));
    if (openOutputs.size === 0 && item.type !== 'function_call_output' && items[i - 1]!.type !== 'reasoning') cuts.push(i);
  }
  return cuts; // from the end backwards: each cut keeps more than the one before
}

/** The start of the longest valid tail of `items` (after `from`) within `maxChars`. */
export function tailStart(items: readonly InputItem[], maxChars: number, from = 1): number {
  let best = items.length;
  for (const cut of validCuts(items)) {
    if (cut < from) break;
    if (size(items.slice(cut)) > maxChars) break;
    best = cut;
  }
  return best;
}

/** A user message's text, or undefined for anything else. */
function userText(item: InputItem): string | undefined {
  if (!('role' in item) || item.role !== 'user') return undefined;
  const content = (item as { content: unknown }).content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const parts = content as Array<{ type?: string; text?: string }>;
  const text = parts.flatMap((p) => (p.type === 'input_text' && p.text ? [p.text] : [])).join('\n');
  return parts.some((p) => p.type === 'input_image') ? `${text}\n${IMAGES_DROPPED_NOTE}`.trim() : text;
}

/** True for the summary message of an earlier compaction. */
export function isSummary(item: InputItem): boolean {
  return userText(item)?.startsWith(COMPACTION_SUMMARY_MARK) ?? false;
}

export interface InBandPlan {
  /** The conversation's items now. */
  items: readonly InputItem[];
  summary: string;
  /** Characters the compacted input may take (the caller's target). */
  maxChars: number;
  /** Keep the latest items (off when an earlier compaction did not get below the threshold). */
  keepRecent: boolean;
}

/**
 * The in-band compacted conversation: the original ask (the first item, byte for byte, so the
 * prompt cache still covers instructions, tools and ask), the people's later words (text only,
 * newest kept first while they fit in a quarter of the target), the summary, and the longest
 * valid tail of latest items that fits what is left.
 */
export function buildInBand(plan: InBandPlan): InputItem[] {
  const { items } = plan;
  const first = items[0];
  if (!first) return [{ role: 'user', type: 'message', content: compactionSummaryMessage(plan.summary) }];
  const summary: InputItem = { role: 'user', type: 'message', content: compactionSummaryMessage(plan.summary) };
  const fixed = size([first, summary]);
  const tail = plan.keepRecent ? tailStart(items, Math.max(0, Math.floor((plan.maxChars - fixed) * 0.6))) : items.length;
  const peopleBudget = plan.keepRecent ? Math.floor(plan.maxChars / 4) : Math.floor(plan.maxChars / 8);
  const people: InputItem[] = [];
  let used = 0;
  for (let i = tail - 1; i >= 1; i -= 1) {
    const item = items[i]!;
    const text = userText(item);
    if (text === undefined || text.trim() === '' || isSummary(item)) continue;
    const kept: InputItem = { role: 'user', type: 'message', content: text };
    const cost = JSON.stringify(kept).length + 1;
    if (used + cost > peopleBudget) break;
    people.unshift(kept);
    used += cost;
  }
  let recent = items.slice(tail);
  // What is left of the target after the fixed part and the people's words bounds the tail.
  const room = plan.maxChars - fixed - used;
  if (size(recent) > room) recent = items.slice(tailStart(items, room, tail));
  return [first, ...people, summary, ...recent];
}

/**
 * The items a summary request can carry within `maxChars`: the first item and the longest
 * valid tail; the middle is left out (the summary request is the one place it is lost).
 */
export function fitForSummary(items: readonly InputItem[], maxChars: number): InputItem[] {
  if (size(items as InputItem[]) <= maxChars || items.length === 0) return [...items];
  const first = items[0]!;
  return [first, ...items.slice(tailStart(items, maxChars - size([first])))];
}
