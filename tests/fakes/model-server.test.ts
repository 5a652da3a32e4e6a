import OpenAI, { AuthenticationError, BadRequestError, NotFoundError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, message, reply, startModelServer, webSearch, type ModelServer } from './model-server.js';

/* The fake model server's model endpoints, through the real openai SDK. */

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('fake model server: /v1/models', () => {
  it('lists and retrieves the models it has, 404s others and 401s a wrong key, like api.openai.com', async () => {
    server = await startModelServer({ apiKey: 'k', models: ['test-model'], script: [] });
    const openai = new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 });
    expect(await openai.models.retrieve('test-model')).toMatchObject({ id: 'test-model', object: 'model' });
    expect((await openai.models.list()).data.map((m) => m.id)).toEqual(['test-model']);
    const missing = await openai.models.retrieve('gpt-nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as NotFoundError).code).toBe('model_not_found');
    const wrongKey = await new OpenAI({ apiKey: 'wrong', baseURL: server.url, maxRetries: 0 }).models.retrieve('test-model').catch((e: unknown) => e);
    expect(wrongKey).toBeInstanceOf(AuthenticationError);
  });

  it('retrieves any model when no list is given', async () => {
    server = await startModelServer({ apiKey: 'k', script: [] });
    const openai = new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 });
    expect((await openai.models.retrieve('whatever-model')).id).toBe('whatever-model');
  });
});

describe('fake model server: tools', () => {
  it('accepts the hosted web_search tool and scripts a web_search_call; refuses unknown tool types like api.openai.com', async () => {
    server = await startModelServer({ apiKey: 'k', script: [reply(webSearch('redis streams'), message('ok'))] });
    const openai = new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 });
    const bad = await openai.responses.create({ model: 'm', input: 'hi', tools: [{ type: 'web_searcher' } as never] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect((bad as BadRequestError).code).toBe('invalid_value');
    expect((bad as BadRequestError).param).toBe('tools[0].type');
    const res = await openai.responses.create({ model: 'm', input: 'hi', tools: [{ type: 'web_search' }] });
    expect(res.output[0]).toMatchObject({ type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'redis streams' } });
  });

  it('refuses to script a web search for a request that does not offer the tool', async () => {
    server = await startModelServer({ apiKey: 'k', script: [reply(webSearch('x'))] });
    const openai = new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 });
    const res = await openai.responses.create({ model: 'm', input: 'hi' }).catch((e: unknown) => e);
    expect(res).toBeInstanceOf(BadRequestError);
  });
});

describe('fake model server: usage and compaction', () => {
  const input = (n: number) => Array.from({ length: n }, (_, i) => ({ role: 'user' as const, type: 'message' as const, content: `message ${i} ${'x'.repeat(400)}` }));

  it('reports input tokens from the request size and the prefix shared with the previous request of the same cache key as cached', async () => {
    server = await startModelServer({ apiKey: 'k', script: () => reply(message('ok')) });
    const openai = new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 });
    const first = await openai.responses.create({ model: 'm', instructions: 'be brief', input: input(4), prompt_cache_key: 'task-a' });
    const second = await openai.responses.create({ model: 'm', instructions: 'be brief', input: input(8), prompt_cache_key: 'task-a' });
    const other = await openai.responses.create({ model: 'm', instructions: 'be brief', input: input(8), prompt_cache_key: 'task-b' });
    expect(first.usage!.input_tokens).toBeGreaterThan(400);
    expect(first.usage!.input_tokens_details.cached_tokens).toBe(0);
    expect(second.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens * 1.8);
    // The whole first input (4 of 8 messages) is the shared prefix.
    const cached = second.usage!.input_tokens_details.cached_tokens;
    expect(cached).toBeGreaterThan(first.usage!.input_tokens * 0.8);
    expect(cached).toBeLessThan(second.usage!.input_tokens * 0.6);
    expect(other.usage!.input_tokens_details.cached_tokens).toBe(0);
    expect(server.requests[1]!.usage).toMatchObject({ input_tokens: second.usage!.input_tokens, cached_tokens: cached });
  });

  it('compacts through responses.compact like api.openai.com: user messages verbatim, then one compaction item the next request may carry', async () => {
    server = await startModelServer({ apiKey: 'k', script: () => reply(message('ok')) });
    const openai = new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 });
    const history = [...input(3), { type: 'function_call' as const, call_id: 'c1', name: 'shell', arguments: '{}' }, { type: 'function_call_output' as const, call_id: 'c1', output: 'y'.repeat(4000) }];
    const compacted = await openai.responses.compact({ model: 'm', instructions: 'be brief', input: history, prompt_cache_key: 't' });
    expect(compacted.object).toBe('response.compaction');
    expect(compacted.output.map((i) => i.type)).toEqual(['message', 'message', 'message', 'compaction']);
    expect(compacted.usage.input_tokens).toBeGreaterThan(1000);
    const next = await openai.responses.create({ model: 'm', input: [...(compacted.output as never[]), { role: 'user', content: 'go on' }] });
    expect(next.status).toBe('completed');
    expect(next.usage!.input_tokens).toBeLessThan(compacted.usage.input_tokens);

    const forged = await openai.responses.create({ model: 'm', input: [{ type: 'compaction', encrypted_content: 'made-up' }] }).catch((e: unknown) => e);
    expect(forged).toBeInstanceOf(BadRequestError);
    expect((forged as BadRequestError).code).toBe('invalid_encrypted_content');
    const unknownParam = await openai.responses.compact({ model: 'm', input: history, tools: [] } as never).catch((e: unknown) => e);
    expect((unknownParam as BadRequestError).code).toBe('unknown_parameter');
    const orphan = await openai.responses.compact({ model: 'm', input: [history[4]!] }).catch((e: unknown) => e);
    expect(orphan).toBeInstanceOf(BadRequestError);
  });

  it('answers 404 to compact when configured without it, and refuses a request past its context window', async () => {
    server = await startModelServer({ apiKey: 'k', compact: 'missing', contextWindowTokens: 500, script: () => reply(message('ok')) });
    const openai = new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 });
    expect(await openai.responses.compact({ model: 'm', input: input(1) }).catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);
    const long = await openai.responses.create({ model: 'm', input: input(6) }).catch((e: unknown) => e);
    expect(long).toBeInstanceOf(BadRequestError);
    expect((long as BadRequestError).code).toBe('context_length_exceeded');
    expect((await openai.responses.create({ model: 'm', input: input(1) })).status).toBe('completed');
  });

  it('refuses to script a tool call for a request with tool_choice none', async () => {
    server = await startModelServer({ apiKey: 'k', script: [reply(functionCall('shell', {}))] });
    const openai = new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 });
    const res = await openai.responses.create({ model: 'm', input: 'hi', tool_choice: 'none', tools: [{ type: 'function', name: 'shell', parameters: {}, strict: false }] }).catch((e: unknown) => e);
    expect(res).toBeInstanceOf(BadRequestError);
  });
});
