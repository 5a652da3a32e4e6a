import { describe, expect, it } from 'vitest';
import { parseNumstat } from '../../src/runner/diff-stat.js';

describe('parseNumstat', () => {
  it('reads plain, binary, renamed and oddly named files from -z output', () => {
    const out = ['3\t1\tsrc/a.ts', '-\t-\timg.png', '2\t0\t', 'old name.txt', 'new\tname.txt', '0\t4\tgone\nline.txt', ''].join('\0');
    expect(parseNumstat(out)).toEqual({
      files: [
        { path: 'src/a.ts', added: 3, removed: 1, binary: false },
        { path: 'img.png', added: 0, removed: 0, binary: true },
        { path: 'new\tname.txt', oldPath: 'old name.txt', added: 2, removed: 0, binary: false },
        { path: 'gone\nline.txt', added: 0, removed: 4, binary: false },
      ],
      added: 5,
      removed: 5,
    });
  });

  it('is empty for no changes', () => {
    expect(parseNumstat('')).toEqual({ files: [], added: 0, removed: 0 });
  });
});
