import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { functionCall, lastToolOutput, message, reply } from '../fakes/model-server.js';
import { CALC_FILES, startE2E, type E2E } from '../helpers/e2e.js';
import { startTask, waitEvent, waitStatus } from '../helpers/thread.js';

/*
 * "Nothing secret reaches Slack whole or in part": a command prints a private key and fails,
 * so the thread shows the tail of its output. The tail alone has lost the key's BEGIN line;
 * the output must be redacted whole before it is cut, and key bodies are recognised on their
 * own. Everything the fake Slack received (every Web API call's arguments and every uploaded
 * file) is searched for each line of the key's body.
 */

let e: E2E | undefined;
afterEach(async () => {
  await e?.cleanup();
  e = undefined;
});

/** Everything Slack was sent: call arguments, uploaded files, response_url posts. */
function everythingSlackReceived(e: E2E): string {
  const files = e.fake.files.map((f) => `${f.filename}\n${f.title ?? ''}\n${f.bytes?.toString('utf8') ?? ''}`);
  return [JSON.stringify(e.fake.calls.map((c) => c.args)), ...files, JSON.stringify(e.fake.responses())].join('\n');
}

describe('secret redaction end to end', () => {
  it('posts no line of a private key that a failing command printed', { timeout: 120_000 }, async () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const body = privateKey.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
    expect(body.length).toBeGreaterThan(20);
    e = await startE2E({
      files: { ...CALC_FILES, 'deploy/key.pem': privateKey },
      script: [
        reply(functionCall('shell', { command: 'cat deploy/key.pem; echo "error: key rejected" >&2; exit 1' })),
        (req) => {
          // The model itself sees the real output (it is not Slack).
          if (!lastToolOutput(req).includes(body[5]!)) throw new Error(`the command did not print the key: ${lastToolOutput(req)}`);
          return reply(message(`The deploy key was rejected; its first line is ${body[0]} and it ends with ${body.at(-2)}.`));
        },
      ],
    });
    const task = await startTask(e, 'check the deploy key');
    const finished = await waitEvent(e, task.taskId, 'command_finished');
    expect(finished.exitCode).toBe(1);
    expect(finished.outputTail).toContain('error: key rejected');
    expect(finished.outputTail).toContain('[redacted]');
    await waitStatus(e, task.taskId, 'done', 60_000);
    // Let the final renders (summary, card) land.
    await e.fake.waitFor(() => everythingSlackReceived(e!).includes('The deploy key was rejected'), 20_000);
    await e.fake.waitFor(() => everythingSlackReceived(e!).includes('key rejected'), 20_000);

    const seen = everythingSlackReceived(e);
    for (const line of body) {
      expect(seen).not.toContain(line);
      // Nor a part of one (the start or the end of a line cut by a tail).
      if (line.length >= 48) {
        expect(seen).not.toContain(line.slice(0, 24));
        expect(seen).not.toContain(line.slice(-24));
      }
    }
    // The events stored for the renderer hold no key line either.
    const stored = JSON.stringify((await e.store.readEvents(task.taskId)).filter((ev) => ev.type === 'command_finished'));
    for (const line of body) expect(stored).not.toContain(line);
  });
});
