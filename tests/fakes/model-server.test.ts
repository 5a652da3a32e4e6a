import OpenAI, { NotFoundError, AuthenticationError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from './model-server.js';

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
