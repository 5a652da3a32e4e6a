import { afterEach, describe, expect, it } from 'vitest';
import { AGENTS_DOCS_CAP, loadAgentsDocs } from '../../src/agent/agents-docs.js';
import { startHarness, type Harness } from './support/harness.js';

/* AGENTS.md files read through the real sandbox, root to working directory, capped. */

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe('loadAgentsDocs', () => {
  it('reads root to cwd, prefers AGENTS.override.md, and caps the total', async () => {
    h = await startHarness({
      script: [],
      files: {
        'AGENTS.md': 'root rules',
        'pkg/AGENTS.md': 'pkg rules',
        'pkg/AGENTS.override.md': 'pkg override',
        'pkg/deep/AGENTS.md': 'x'.repeat(AGENTS_DOCS_CAP),
        'other/AGENTS.md': 'not on the path',
      },
    });
    const docs = await loadAgentsDocs(h.sandbox, 'pkg/deep');
    expect(docs.map((d) => d.path)).toEqual(['AGENTS.md', 'pkg/AGENTS.override.md', 'pkg/deep/AGENTS.md']);
    expect(docs[0]!.text).toBe('root rules');
    expect(docs[1]!.text).toBe('pkg override');
    expect(docs[2]!.text).toMatch(/^x+\n\[… truncated: the AGENTS\.md files exceed 32768 bytes in total\]$/);
    expect(docs.reduce((n, d) => n + d.text.replace(/\n\[….*\]$/, '').length, 0)).toBe(AGENTS_DOCS_CAP);
    expect(await loadAgentsDocs(h.sandbox)).toEqual([{ path: 'AGENTS.md', text: 'root rules' }]);
  });
});
