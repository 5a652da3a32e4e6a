import { existsSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isLockfile, SetupCache } from '../../src/runner/setup-cache.js';
import { docker } from './helpers.js';

/* The setup cache's store: entries from the sandbox's pack, least recently used evicted past the cap. */

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'setup-cache-'));
  dirs.push(d);
  return d;
};
const key = (c: string) => c.repeat(64);
const PACK = '.codex-setup-cache.tar';

describe('SetupCache', () => {
  it('evicts the least recently used entries beyond its cap; a hit counts as a use', async () => {
    const root = temp();
    const cache = new SetupCache({ dir: join(root, 'cache'), maxBytes: 2500, docker });
    const checkout = temp();
    for (const [i, c] of ['a', 'b'].entries()) {
      writeFileSync(join(checkout, PACK), 'x'.repeat(1000));
      await cache.store(key(c), checkout);
      // Stored an hour (a) and half an hour (b) ago.
      const then = new Date(Date.now() - (2 - i) * 1_800_000);
      utimesSync(join(root, 'cache', `${key(c)}.tar`), then, then);
    }
    expect(existsSync(join(checkout, PACK))).toBe(false);
    expect(await cache.lookup(key('a'))).toBeDefined();
    writeFileSync(join(checkout, PACK), 'x'.repeat(1000));
    await cache.store(key('c'), checkout);
    expect(await cache.lookup(key('a'))).toBeDefined();
    expect(await cache.lookup(key('c'))).toBeDefined();
    expect(await cache.lookup(key('b'))).toBeUndefined();
  });

  it('refuses a pack that is a link, and removes it from the checkout', async () => {
    const root = temp();
    const cache = new SetupCache({ dir: join(root, 'cache'), maxBytes: 1e9, docker });
    const checkout = temp();
    writeFileSync(join(root, 'secret'), 'host file');
    symlinkSync(join(root, 'secret'), join(checkout, PACK));
    await expect(cache.store(key('d'), checkout)).rejects.toThrow();
    expect(await cache.lookup(key('d'))).toBeUndefined();
    expect(existsSync(join(checkout, PACK))).toBe(false);
  });

  it('knows lockfiles by name', () => {
    for (const name of ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'requirements.txt', 'requirements-dev.txt', 'poetry.lock', 'Cargo.lock', 'go.sum', 'Gemfile.lock']) expect(isLockfile(name)).toBe(true);
    for (const name of ['package.json', 'README.md', 'src/yarn.lock']) expect(isLockfile(name)).toBe(false);
  });
});
