import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { CodexError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { runHostGit } from '../../src/runner/host-git.js';
import { syncMirror } from '../../src/runner/mirror.js';
import { stripUrlCredentials } from '../../src/util/redact.js';

/*
 * Credentials in a repo URL (https://user:token@host/…) never reach an error message or a log
 * line: real git fetches from a closed port and fails, and the real pino logger writes what a
 * worker would log about it.
 */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function captureLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

describe('credentials in repo URLs', () => {
  it('keep out of the fetch error and of the logs', { timeout: 30_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'codex-urlcred-'));
    dirs.push(dataDir);
    const url = `https://user:s3cret@127.0.0.1:${await closedPort()}/x.git`;
    const error = await syncMirror(dataDir, { name: 'leaky', url }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(CodexError.isInstance(error)).toBe(true);
    const err = error as CodexError;
    expect(err.code).toBe('repo_fetch_failed');
    expect(err.message).toContain('https://127.0.0.1:'); // the URL is still named, without its credentials
    for (const text of [err.message, err.userMessage, err.stack ?? '', String((err.cause as Error).message), String((err.cause as Error).stack)]) {
      expect(text).not.toContain('s3cret');
      expect(text).not.toContain('user:');
    }

    const { lines, logger } = captureLogger();
    logger.error({ err, repo: { name: 'leaky', url, pushUrl: url } }, 'preparing the checkout failed');
    logger.info({ url, remoteUrl: url, token: 'tok-123', nested: { repo: { url } } }, 'fetching');
    logger.child({ taskId: 't1' }).warn({ err: err.cause }, 'git failed');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(3);
    const logged = lines.join('');
    expect(logged).not.toContain('s3cret');
    expect(logged).not.toContain('tok-123');
    expect(logged).toContain('https://127.0.0.1:'); // URL fields keep the URL
    expect(JSON.parse(lines[1]!).url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/x\.git$/);
  });

  it('strips credentials that git names in its own arguments', async () => {
    const error = await runHostGit(['ls-remote', `https://ghp_abc:s3cret@127.0.0.1:${await closedPort()}/y.git`]).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/ls-remote https:\/\/127\.0\.0\.1:\d+\/y\.git failed/);
    expect(error?.message).not.toContain('s3cret');
    expect(error?.message).not.toContain('ghp_abc');
  });

  it('stripUrlCredentials removes any user information and nothing else', () => {
    expect(stripUrlCredentials('fetch https://u:p@h/x.git and ssh://tok@h:22/y and https://h/z@v1')).toBe('fetch https://h/x.git and ssh://h:22/y and https://h/z@v1');
    expect(stripUrlCredentials("fatal: unable to access 'https://x-access-token:ghs_abc@github.com/a/b.git/'")).toBe("fatal: unable to access 'https://github.com/a/b.git/'");
  });
});
