import { closeSync, mkdirSync, openSync, ftruncateSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureTree } from '../../src/runner/tree-size.js';
import { tempDir } from './helpers.js';

const root = tempDir('tree-size');
afterAll(() => root.cleanup());

const GIB = 1024 ** 3;

function sparse(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
}

describe('measureTree', () => {
  it('counts a sparse file at its full length, and every file, directory and symlink once', async () => {
    const dir = join(root.dir, 'mixed');
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    sparse(join(dir, 'a', 'b', 'huge.bin'), 20 * GIB);
    writeFileSync(join(dir, 'small.txt'), 'hello\n');
    // A sparse file takes (almost) no disk: the measurement must not go by blocks.
    expect(statSync(join(dir, 'a', 'b', 'huge.bin')).blocks * 512).toBeLessThan(1024 * 1024);
    const size = await measureTree(dir);
    expect(size.over).toBeUndefined();
    expect(size.entries).toBe(4); // a, a/b, a/b/huge.bin, small.txt
    expect(size.bytes).toBe(20 * GIB + 6);
    expect(size.largest).toEqual({ path: 'a/b/huge.bin', bytes: 20 * GIB });
  });

  it('does not follow symlinks, to files or to directories outside the tree', async () => {
    const outside = join(root.dir, 'outside');
    mkdirSync(outside);
    sparse(join(outside, 'big.bin'), 4 * GIB);
    for (let i = 0; i < 50; i++) writeFileSync(join(outside, `f${i}`), 'x');
    const dir = join(root.dir, 'links');
    mkdirSync(dir);
    symlinkSync(outside, join(dir, 'dir-link'));
    symlinkSync(join(outside, 'big.bin'), join(dir, 'file-link'));
    const size = await measureTree(dir);
    expect(size.entries).toBe(2);
    expect(size.bytes).toBe(outside.length + join(outside, 'big.bin').length); // a symlink's size is its target's length
    expect(size.largest).toBeUndefined();
  });

  it('stops early once past the entry budget or the byte budget', async () => {
    const many = join(root.dir, 'many');
    mkdirSync(many);
    for (let i = 0; i < 2000; i++) writeFileSync(join(many, `f${i}`), '');
    const byCount = await measureTree(many, { maxBytes: Infinity, maxEntries: 100 });
    expect(byCount.over).toBe('entries');
    expect(byCount.entries).toBeGreaterThan(100);
    expect(byCount.entries).toBeLessThan(200);

    const big = join(root.dir, 'big');
    mkdirSync(big);
    for (let i = 0; i < 200; i++) sparse(join(big, `part${i}.bin`), GIB);
    const bySize = await measureTree(big, { maxBytes: 10 * GIB, maxEntries: Infinity });
    expect(bySize.over).toBe('bytes');
    expect(bySize.bytes).toBeGreaterThan(10 * GIB);
    expect(bySize.entries).toBeLessThan(100);
  });

  it('is not over when both budgets hold', async () => {
    const size = await measureTree(join(root.dir, 'many'), { maxBytes: 1, maxEntries: 2000 });
    expect(size.over).toBeUndefined();
    expect(size.entries).toBe(2000);
  });
});
