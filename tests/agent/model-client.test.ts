import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { callModel, messageText, type ModelRequest } from '../../src/agent/model-client.js';
import { CodexError } from '../../src/errors.js';
import { functionCall, httpError, message, reasoning, reply, startModelServer, type ModelServer } from '../fakes/model-server.js';

/*
 * The model client through the real openai SDK against the scripted server: stream parsing,
 * retries and error translation.
 */

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const request = (input: ModelRequest['input'] = [{ role: 'user', content: 'hi' }]): ModelRequest => ({
  model: 'test-model',
  instructions: 'Be brief.',
  tools: [{ type: 'function', name: 'noop', description: 'does nothing', parameters: { type: 'object', properties: {} }, strict: false }],
  input,
  promptCacheKey: 'task-1',
});

const client = (url: string, apiKey = 'test-key') => new OpenAI({ apiKey, baseURL: url });

describe('callModel', () => {
  it('reports the model that served the response, as the response names it', async () => {
    server = await startModelServer({ servedAs: { 'test-model': 'test-model-mini' }, script: [reply(message('one')), { ...reply(message('two')), model: 'other-model' }] });
    const first = await callModel(client(server.url), request(), { signal: new AbortController().signal });
    expect(server.requests[0]!.body.model).toBe('test-model');
    expect(first?.model).toBe('test-model-mini');
    const second = await callModel(client(server.url), request(), { signal: new AbortController().signal });
    expect(second?.model).toBe('other-model');
  });

  it('streams output items, messages and usage, and sends a stateless cached request', async () => {
    server = await startModelServer({ script: [{ ...reply(reasoning(['thinking'], 'ENC1'), message('Looking.'), functionCall('noop', { a: 1 }, 'call_1')), usage: { input_tokens: 50, cached_tokens: 10, output_tokens: 7 } }] });
    const messages: string[] = [];
    const res = await callModel(client(server.url), request(), { signal: new AbortController().signal, onMessage: (t) => void messages.push(t) });
    expect(res?.output.map((i) => i.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(res?.output[0]).toMatchObject({ type: 'reasoning', encrypted_content: 'ENC1' });
    expect(res?.output[2]).toMatchObject({ call_id: 'call_1', name: 'noop', arguments: '{"a":1}' });
    expect(messageText(res!.output[1]!)).toBe('Looking.');
    expect(messages).toEqual(['Looking.']);
    expect(res?.usage).toEqual({ inputTokens: 50, cachedInputTokens: 10, outputTokens: 7 });
    const body = server.requests[0]!.body;
    expect(body).toMatchObject({ model: 'test-model', stream: true, store: false, include: ['reasoning.encrypted_content'], prompt_cache_key: 'task-1', instructions: 'Be brief.' });
  });

  it('asks again without encrypted reasoning when the model refuses it, and stops asking that model', async () => {
    server = await startModelServer({
      script: [httpError(400, 'Encrypted content is not supported with this model.', { code: 'unsupported_parameter', type: 'invalid_request_error' }), reply(message('ok')), reply(message('again'))],
    });
    const c = client(server.url);
    const first = await callModel(c, request(), { signal: new AbortController().signal });
    expect(messageText(first!.output[0]!)).toBe('ok');
    await callModel(c, request(), { signal: new AbortController().signal });
    expect(server.requests.map((r) => r.body.include)).toEqual([['reasoning.encrypted_content'], undefined, undefined]);
  });

  it('waits as retry-after says after a 429, then succeeds', async () => {
    server = await startModelServer({ script: [httpError(429, 'Rate limit reached', { code: 'rate_limit_exceeded', headers: { 'retry-after': '1' } }), reply(message('ok'))] });
    const res = await callModel(client(server.url), request(), { signal: new AbortController().signal });
    expect(messageText(res!.output[0]!)).toBe('ok');
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.receivedAt - server.requests[0]!.receivedAt).toBeGreaterThanOrEqual(900);
  });

  it('retries a 500 and a dropped stream', async () => {
    server = await startModelServer({ script: [httpError(500, 'boom'), { ...reply(message('partial')), dropAfterEvents: 3 }, reply(message('whole'))] });
    const res = await callModel(client(server.url), request(), { signal: new AbortController().signal });
    expect(messageText(res!.output[0]!)).toBe('whole');
    expect(server.requests).toHaveLength(3);
  });

  it('fails at once on a 401 with a sentence naming OPENAI_API_KEY', async () => {
    server = await startModelServer({ apiKey: 'right', script: [reply(message('never'))] });
    const err = await callModel(client(server.url, 'wrong'), request(), { signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(CodexError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ code: 'model_auth_failed', retryable: false, userMessage: 'The OpenAI API key was rejected; check OPENAI_API_KEY.' });
    expect(server.requests).toHaveLength(1);
  });

  it('names the model on a 404 and explains a context overflow', async () => {
    server = await startModelServer({ models: ['gpt-real'], script: [httpError(400, 'Your input exceeds the context window of this model.', { code: 'context_length_exceeded' })] });
    const notFound = await callModel(client(server.url), request(), { signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(notFound).toMatchObject({ code: 'model_not_found' });
    expect((notFound as CodexError).userMessage).toMatch(/The model test-model is not available; set CODEX_MODEL/);
    const tooLong = await callModel(client(server.url), { ...request(), model: 'gpt-real' }, { signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(tooLong).toMatchObject({ code: 'model_context_too_long', retryable: false });
  });

  it('reports a failure inside the stream', async () => {
    server = await startModelServer({ script: [{ fail: { code: 'invalid_prompt', message: 'no' } }] });
    const err = await callModel(client(server.url), request(), { signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'model_error', retryable: false });
  });

  it('returns undefined at once when aborted during a hanging request', async () => {
    server = await startModelServer({ script: [{ hang: true }] });
    const controller = new AbortController();
    const pending = callModel(client(server.url), request(), { signal: controller.signal });
    await server.waitForRequests(1);
    const t0 = Date.now();
    controller.abort();
    await expect(pending).resolves.toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('the server also answers plain JSON (stream: false), which the SDK parses', async () => {
    server = await startModelServer({ script: [reply(message('plain'))] });
    const res = await client(server.url).responses.create({ model: 'm', input: 'hi' });
    expect(res.output_text).toBe('plain');
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('the server rejects a function call without its output, like the real API', async () => {
    server = await startModelServer({ script: [reply(message('never'))] });
    const err = await callModel(client(server.url), request([{ type: 'function_call', call_id: 'c1', name: 'noop', arguments: '{}' }]), { signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'model_bad_request' });
    expect((err as CodexError).message).toMatch(/No tool output found for function call c1/);
  });
});
