import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, httpError, message, reply } from '../fakes/model-server.js';
import { startHarness, type Harness } from './support/harness.js';

/* Budgets end a turn with a summary; model failures are retried or end it with a clear message. */

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe('budgets', () => {
  it('maxSteps reached ends with completed, budget steps and a summary of where it stands', async () => {
    h = await startHarness({
      budgets: { maxSteps: 2 },
      script: [
        reply(message('Reading the code.'), functionCall('update_plan', { plan: [{ step: 'Read the code', status: 'completed' }, { step: 'Fix add', status: 'in_progress' }] })),
        reply(message('Now fixing add.'), functionCall('shell', { command: 'cat src/math.js' })),
        reply(message('never reached')),
      ],
    });
    const outcome = await h.run();
    expect(outcome).toEqual({
      status: 'completed',
      budget: 'steps',
      summary:
        'Stopped early: the step budget (2 model calls) ran out before the agent finished. The branch holds the changes made so far.\n\n' +
        'Last update from the agent:\nNow fixing add.\n\nPlan at that point:\n[x] Read the code\n[>] Fix add\n\nReply in the thread to continue from here.',
    });
    expect(h.server.requests).toHaveLength(2);
    // The last step's tool output was recorded, so a follow-up can continue from here.
    expect((await h.store.load(h.task.taskId))!.items.at(-1)).toMatchObject({ type: 'function_call_output' });
  });

  it('maxTokens reached ends with budget tokens', async () => {
    h = await startHarness({
      budgets: { maxTokens: 1000 },
      script: [
        { ...reply(functionCall('shell', { command: 'true' })), usage: { input_tokens: 700, output_tokens: 100 } },
        { ...reply(functionCall('shell', { command: 'true' })), usage: { input_tokens: 800, output_tokens: 100 } },
        reply(message('never reached')),
      ],
    });
    expect(await h.run()).toMatchObject({ status: 'completed', budget: 'tokens' });
    expect(h.server.requests).toHaveLength(2);
  });

  it('the task\'s token budget spans its turns: a follow-up does not start a fresh one', async () => {
    h = await startHarness({
      budgets: { maxTokens: 1_000_000, maxTaskTokens: 1500 },
      script: [
        { ...reply(message('First turn done.')), usage: { input_tokens: 900, output_tokens: 100 } },
        { ...reply(functionCall('shell', { command: 'true' })), usage: { input_tokens: 500, output_tokens: 100 } },
        reply(message('never reached')),
      ],
    });
    expect(await h.run()).toMatchObject({ status: 'completed', summary: 'First turn done.' });
    const second = await h.run({ turn: 2, turnPrompt: 'And more.' });
    expect(second).toMatchObject({ status: 'completed', budget: 'tokens' });
    expect(second.status === 'completed' && second.summary).toContain("the task's token budget across all its turns (1,500 tokens)");
    expect(h.server.requests).toHaveLength(2);
  });

  it('an approval wait never outlasts the turn\'s time budget', async () => {
    h = await startHarness({
      budgets: { maxMinutes: 0.05 },
      approval: { mode: 'never', commandPatterns: ['^touch '], timeoutMinutes: 30 },
      script: [reply(functionCall('shell', { command: 'touch x' })), reply(message('never reached'))],
    });
    // Nobody answers: the wait ends with the turn's 3 seconds, not the policy's 30 minutes.
    const outcome = await h.run();
    expect(outcome).toMatchObject({ status: 'completed', budget: 'time' });
    const resolved = h.events.events.find((e) => e.type === 'approval_resolved');
    expect(resolved).toMatchObject({ decision: 'decline', timedOut: true });
  });
});

describe('model failures', () => {
  it('a 429 with retry-after is waited out, then the run succeeds', async () => {
    h = await startHarness({ script: [httpError(429, 'Rate limit reached for requests', { code: 'rate_limit_exceeded', headers: { 'retry-after': '1' } }), reply(message('Done.'))] });
    expect(await h.run()).toEqual({ status: 'completed', summary: 'Done.' });
    const [first, second] = h.server.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900);
    expect(second!.body).toEqual(first!.body);
  });

  it('a 401 fails at once with a message naming OPENAI_API_KEY', async () => {
    h = await startHarness({ clientKey: 'sk-wrong', script: [reply(message('never'))] });
    expect(await h.run()).toEqual({ status: 'failed', code: 'model_auth_failed', message: 'The OpenAI API key was rejected; check OPENAI_API_KEY.' });
    expect(h.server.requests).toHaveLength(1);
  });

  it('an unknown model fails with a message naming it and CODEX_MODEL', async () => {
    h = await startHarness({ models: ['gpt-real'], script: [reply(message('never'))] });
    const outcome = await h.run();
    expect(outcome).toMatchObject({ status: 'failed', code: 'model_not_found' });
    expect(outcome.status === 'failed' && outcome.message).toMatch(/^The model test-model is not available; set CODEX_MODEL/);
  });

  it('persistent 500s are retried, each announced, until the time budget runs out; then the turn fails saying so', async () => {
    h = await startHarness({
      script: () => httpError(500, 'The server had an error processing your request.', { headers: { 'retry-after-ms': '100' } }),
      budgets: { maxMinutes: 0.03 },
    });
    const outcome = await h.run();
    expect(outcome).toMatchObject({ status: 'failed', code: 'model_unavailable' });
    expect(outcome.status === 'failed' && outcome.message).toMatch(/^The model API was unavailable \(HTTP 500\) for the rest of this turn's time budget \(0\.03 minutes\): \d+ attempts failed/);
    // Far more than the four attempts a call used to get.
    expect(h.server.requests.length).toBeGreaterThan(4);
    const retries = h.events.events.filter((ev) => ev.type === 'model_retrying');
    expect(retries).toHaveLength(h.server.requests.length - 1);
    expect(retries.every((r) => r.type === 'model_retrying' && r.reason === 'HTTP 500' && r.retryInMs === 100)).toBe(true);
  });
});
