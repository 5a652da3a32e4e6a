import OpenAI, { AuthenticationError, BadRequestError, NotFoundError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { message, reply, startModelServer, webSearch, type ModelServer } from './model-server.js';

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
