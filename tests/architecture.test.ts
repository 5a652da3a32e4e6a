import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The layout's rules, checked on the source itself (docs/architecture.md, "Layout"): no two
 * folders of src/ import each other (directly or round a cycle), the worker and the agent never
 * reach Slack, the wiring happens in src/app.ts alone, and no file grows past 400 lines.
 */

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The top folder of src/ a file is in; a file directly in src/ (app.ts, config.ts, …) is a node of its own. */
function folderOf(path: string): string {
  const rel = relative(src, path);
  return rel.includes('/') ? rel.split('/')[0]! : rel.replace(/\.(ts|js)$/, '');
}

/** Folder → folders it imports from (runtime and type imports alike). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of files(src)) {
    const from = folderOf(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
      const to = folderOf(resolve(dirname(file), m[1]!));
      if (to !== from) {
        if (!graph.has(from)) graph.set(from, new Set());
        graph.get(from)!.add(to);
      }
    }
  }
  return graph;
}

describe('the layout', () => {
  const graph = folderGraph();

  it('has no cycle between the folders of src/', () => {
    const cycles: string[] = [];
    const visit = (node: string, path: string[]) => {
      for (const next of graph.get(node) ?? []) {
        if (path.includes(next)) cycles.push([...path.slice(path.indexOf(next)), next].join(' → '));
        else visit(next, [...path, next]);
      }
    };
    for (const node of graph.keys()) visit(node, [node]);
    expect([...new Set(cycles)]).toEqual([]);
  });

  it('keeps Slack out of the worker and the agent, and the wiring in src/app.ts', () => {
    for (const folder of ['worker', 'agent', 'runner', 'tasks', 'codehost']) {
      expect([...(graph.get(folder) ?? [])].filter((f) => ['slack', 'slack-client', 'render', 'blocks'].includes(f)), folder).toEqual([]);
      for (const file of files(join(src, folder))) expect(readFileSync(file, 'utf8'), file).not.toMatch(/from '@slack\//);
    }
    // Only the entry wires listeners, renderers and the worker together.
    const wiring = [...graph].filter(([, to]) => ['slack', 'render', 'worker'].filter((f) => to.has(f)).length > 1).map(([from]) => from);
    expect(wiring).toEqual(['app']);
  });

  it('has no source file over 400 lines', () => {
    const long = files(src).filter((f) => readFileSync(f, 'utf8').split('\n').length > 400);
    expect(long.map((f) => relative(src, f))).toEqual([]);
  });
});
