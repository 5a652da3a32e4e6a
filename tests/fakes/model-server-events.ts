import { randomUUID } from 'node:crypto';

/*
 * Builds Responses API objects and stream events the way api.openai.com sends them, for the
 * scripted model server (model-server.ts). Kept apart so the server file stays about HTTP.
 */

/** An output item to answer with; ids and statuses are filled in. */
export type OutputSpec =
  | { type: 'message'; text: string; phase?: 'commentary' | 'final_answer' }
  | { type: 'function_call'; name: string; arguments: string; call_id?: string }
  | { type: 'reasoning'; summary?: string[]; encrypted_content?: string }
  | { type: 'web_search_call'; action: Json; status?: 'completed' | 'failed' };

export interface UsageSpec {
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
}

type Json = Record<string, unknown>;

const shortId = () => randomUUID().replace(/-/g, '').slice(0, 24);

/** Completed output items for the specs, with generated ids. */
export function buildItems(specs: readonly OutputSpec[]): Json[] {
  return specs.map((spec) => {
    if (spec.type === 'message') {
      const item: Json = { id: `msg_${shortId()}`, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: spec.text, annotations: [], logprobs: [] }] };
      if (spec.phase) item.phase = spec.phase;
      return item;
    }
    if (spec.type === 'function_call') {
      return { id: `fc_${shortId()}`, type: 'function_call', status: 'completed', call_id: spec.call_id ?? `call_${shortId()}`, name: spec.name, arguments: spec.arguments };
    }
    if (spec.type === 'web_search_call') {
      return { id: `ws_${shortId()}`, type: 'web_search_call', status: spec.status ?? 'completed', action: spec.action };
    }
    return {
      id: `rs_${shortId()}`,
      type: 'reasoning',
      summary: (spec.summary ?? []).map((text) => ({ type: 'summary_text', text })),
      encrypted_content: spec.encrypted_content ?? `enc_${shortId()}`,
    };
  });
}

/** A Response object as in `response.*` events and the non-streamed body. */
export function buildResponse(id: string, body: Json, status: string, output: Json[], usage: UsageSpec | null, error: Json | null = null): Json {
  return {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    error,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    model: body.model,
    output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: null,
    prompt_cache_key: body.prompt_cache_key ?? null,
    store: body.store ?? true,
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    usage: usage && {
      input_tokens: usage.input_tokens,
      input_tokens_details: { cached_tokens: usage.cached_tokens, cache_write_tokens: 0 },
      output_tokens: usage.output_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.input_tokens + usage.output_tokens,
    },
  };
}

/** Splits text into a few deltas, as a real stream would. */
function pieces(text: string): string[] {
  if (text.length <= 8) return [text];
  const size = Math.ceil(text.length / 3);
  return [text.slice(0, size), text.slice(size, 2 * size), text.slice(2 * size)];
}

/** The stream events (without sequence numbers) that deliver `items`, between created and the end. */
export function itemEvents(items: readonly Json[]): Json[] {
  const events: Json[] = [];
  items.forEach((item, output_index) => {
    const item_id = item.id;
    if (item.type === 'message') {
      const text = ((item.content as Json[])[0]!.text as string) ?? '';
      const emptyPart = { type: 'output_text', text: '', annotations: [], logprobs: [] };
      events.push({ type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress', content: [] } });
      events.push({ type: 'response.content_part.added', item_id, output_index, content_index: 0, part: emptyPart });
      for (const delta of pieces(text)) events.push({ type: 'response.output_text.delta', item_id, output_index, content_index: 0, delta, logprobs: [] });
      events.push({ type: 'response.output_text.done', item_id, output_index, content_index: 0, text, logprobs: [] });
      events.push({ type: 'response.content_part.done', item_id, output_index, content_index: 0, part: { ...emptyPart, text } });
    } else if (item.type === 'function_call') {
      const args = item.arguments as string;
      events.push({ type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress', arguments: '' } });
      for (const delta of pieces(args)) events.push({ type: 'response.function_call_arguments.delta', item_id, output_index, delta });
      events.push({ type: 'response.function_call_arguments.done', item_id, output_index, name: item.name, arguments: args });
    } else if (item.type === 'web_search_call') {
      // As api.openai.com streams a hosted search: added, in_progress, searching, completed, done.
      events.push({ type: 'response.output_item.added', output_index, item: { id: item_id, type: 'web_search_call', status: 'in_progress', action: { type: 'search' } } });
      for (const phase of ['in_progress', 'searching', 'completed']) events.push({ type: `response.web_search_call.${phase}`, item_id, output_index });
    } else {
      events.push({ type: 'response.output_item.added', output_index, item: { id: item_id, type: 'reasoning', summary: [] } });
    }
    events.push({ type: 'response.output_item.done', output_index, item });
  });
  return events;
}
