import { describe, expect, it } from 'vitest';
import { PatchApplyError, normalizePatchPath, planPatch } from '../../src/agent/patch/apply-patch.js';
import { PatchParseError, parsePatch } from '../../src/agent/patch/parse-patch.js';
import { seekSequence } from '../../src/agent/patch/seek-sequence.js';

const wrap = (body: string) => `*** Begin Patch\n${body}\n*** End Patch`;

/** Applies a patch to an in-memory tree; returns the tree after (undefined = deleted). */
function apply(patch: string, tree: Record<string, string>) {
  const ops = parsePatch(patch);
  const files = new Map<string, string | undefined>();
  for (const op of ops) {
    for (const p of [op.path, op.kind === 'update' ? op.moveTo : undefined]) {
      if (p !== undefined) files.set(normalizePatchPath(p), tree[normalizePatchPath(p)]);
    }
  }
  const plan = planPatch(ops, files);
  const after: Record<string, string | undefined> = { ...tree };
  for (const w of plan.writes) after[w.path] = w.content;
  return { after, plan };
}

describe('parsePatch', () => {
  it('parses add, delete and update with a move and several hunks', () => {
    const ops = parsePatch(
      wrap(`*** Add File: a/new.txt
+one
+two
*** Delete File: old.txt
*** Update File: src/x.py
*** Move to: src/y.py
@@ def f():
-    pass
+    return 1
@@
 tail
+more
*** End of File`),
    );
    expect(ops).toHaveLength(3);
    expect(ops[0]).toEqual({ kind: 'add', path: 'a/new.txt', contents: 'one\ntwo\n' });
    expect(ops[1]).toEqual({ kind: 'delete', path: 'old.txt' });
    const up = ops[2]!;
    expect(up.kind === 'update' && up.moveTo).toBe('src/y.py');
    if (up.kind !== 'update') throw new Error('not an update');
    expect(up.chunks.map((c) => [c.context, c.oldLines, c.newLines, c.isEndOfFile, c.added, c.removed])).toEqual([
      ['def f():', ['    pass'], ['    return 1'], false, 1, 1],
      [undefined, ['tail'], ['tail', 'more'], true, 1, 0],
    ]);
  });

  it('accepts a heredoc wrapper and padded markers, and a first hunk without @@', () => {
    const ops = parsePatch(`<<'EOF'\n*** Begin Patch  \n*** Update File: f.txt\n foo\n+bar\n  *** End Patch\nEOF`);
    expect(ops).toEqual([{ kind: 'update', path: 'f.txt', chunks: [expect.objectContaining({ oldLines: ['foo'], newLines: ['foo', 'bar'] })] }]);
  });

  it('says what is wrong, with the line', () => {
    expect(() => parsePatch('hello')).toThrow(/first line of the patch must be '\*\*\* Begin Patch'/);
    expect(() => parsePatch('*** Begin Patch\n*** Add File: x\n+x')).toThrow(/last line of the patch must be '\*\*\* End Patch'/);
    expect(() => parsePatch(wrap('*** Frobnicate File: x'))).toThrow(/line 2: '\*\*\* Frobnicate File: x' is not a valid file header/);
    expect(() => parsePatch(wrap('*** Update File: x'))).toThrow(/update of 'x' has no hunks/);
    expect(() => parsePatch(wrap('*** Update File: x\n@@\n-a\n@@ ctx\nbad line'))).toThrow(PatchParseError);
  });
});

describe('seekSequence', () => {
  it('tries exact, then trailing whitespace, then surrounding whitespace, then typographic punctuation', () => {
    expect(seekSequence(['a', 'b', 'c'], ['b', 'c'], 0, false)).toBe(1);
    expect(seekSequence(['a  ', 'b\t'], ['a', 'b'], 0, false)).toBe(0);
    expect(seekSequence(['   a  ', '  b'], ['a', 'b'], 0, false)).toBe(0);
    expect(seekSequence(['x = \u201Cquote\u201D \u2014 dash'], ['x = "quote" - dash'], 0, false)).toBe(0);
    expect(seekSequence(['a'], ['a', 'b'], 0, false)).toBe(-1);
    // Exact beats fuzzy even when the fuzzy match comes first.
    expect(seekSequence(['  k', 'k'], ['k'], 0, false)).toBe(1);
    // End of file is tried first.
    expect(seekSequence(['k', 'x', 'k'], ['k'], 0, true)).toBe(2);
  });
});

describe('planPatch', () => {
  it('adds, deletes and updates with several hunks', () => {
    const { after, plan } = apply(
      wrap(`*** Add File: new.txt
+hello
*** Delete File: gone.txt
*** Update File: m.txt
@@
 a
-b
+B
@@
 c
-d
+D`),
      { 'gone.txt': 'bye\nbye\n', 'm.txt': 'a\nb\nc\nd\ne\n' },
    );
    expect(after).toEqual({ 'new.txt': 'hello\n', 'gone.txt': undefined, 'm.txt': 'a\nB\nc\nD\ne\n' });
    expect(plan.files).toEqual([
      { path: 'new.txt', added: 1, removed: 0 },
      { path: 'gone.txt', added: 0, removed: 2 },
      { path: 'm.txt', added: 2, removed: 2 },
    ]);
  });

  it('moves a file while changing it, and reports it under the new path', () => {
    const { after, plan } = apply(wrap('*** Update File: src/a.js\n*** Move to: lib/b.js\n@@\n-x\n+y'), { 'src/a.js': 'x\n' });
    expect(after).toEqual({ 'src/a.js': undefined, 'lib/b.js': 'y\n' });
    expect(plan.files).toEqual([{ path: 'lib/b.js', added: 1, removed: 1 }]);
  });

  it('uses the @@ context line to pick the right occurrence', () => {
    const src = 'def a():\n    return 0\n\ndef b():\n    return 0\n';
    const { after } = apply(wrap('*** Update File: f.py\n@@ def b():\n-    return 0\n+    return 2'), { 'f.py': src });
    expect(after['f.py']).toBe('def a():\n    return 0\n\ndef b():\n    return 2\n');
  });

  it('anchors "*** End of File" hunks at the end, and appends pure additions', () => {
    const { after } = apply(wrap('*** Update File: f\n@@\n-x\n+y\n*** End of File'), { f: 'x\nmid\nx\n' });
    expect(after.f).toBe('x\nmid\ny\n');
    const added = apply(wrap('*** Update File: f\n@@\n+last'), { f: 'one\ntwo' });
    expect(added.after.f).toBe('one\ntwo\nlast\n');
  });

  it('matches ignoring trailing and then surrounding whitespace, keeping the file\'s context lines', () => {
    const { after } = apply(wrap('*** Update File: w\n@@\n foo\n-bar\n+baz'), { w: 'foo   \n\tbar\n' });
    expect(after.w).toBe('foo   \nbaz\n');
  });

  it('treats a trailing empty context line as the final newline', () => {
    const { after } = apply(wrap('*** Update File: t\n@@\n-last\n+LAST\n '), { t: 'first\nlast\n' });
    expect(after.t).toBe('first\nLAST\n');
  });

  it('keeps CRLF line endings', () => {
    const { after } = apply(wrap('*** Update File: c\n@@\n-b\n+B'), { c: 'a\r\nb\r\n' });
    expect(after.c).toBe('a\r\nB\r\n');
  });

  it('fails precisely and changes nothing when a hunk does not apply', () => {
    const patch = wrap('*** Add File: side.txt\n+x\n*** Update File: m.txt\n@@\n-a\n+A\n@@ def nowhere():\n-b\n+B');
    expect(() => apply(patch, { 'm.txt': 'a\nb\n' })).toThrow(PatchApplyError);
    expect(() => apply(patch, { 'm.txt': 'a\nb\n' })).toThrow(/hunk 2 of 2 \(patch line 8\) for 'm.txt'.*context line "@@ def nowhere\(\):" was not found/s);
    expect(() => apply(wrap('*** Update File: m.txt\n@@\n-zzz\n+y'), { 'm.txt': 'a\n' })).toThrow(/these lines were not found:\nzzz\nNothing was changed/);
    expect(() => apply(wrap('*** Update File: none.txt\n@@\n-a\n+b'), {})).toThrow(/does not exist.*Add File/);
    expect(() => apply(wrap('*** Delete File: none.txt'), {})).toThrow(/Failed to delete 'none.txt': the file does not exist/);
  });

  it('refuses paths outside the repository and accepts /workspace paths', () => {
    expect(() => normalizePatchPath('/etc/passwd')).toThrow(/absolute path outside the repository/);
    expect(() => normalizePatchPath('../x')).toThrow(/leaves the repository/);
    expect(normalizePatchPath('/workspace/src/./a.ts')).toBe('src/a.ts');
    expect(normalizePatchPath('./b.ts')).toBe('b.ts');
  });
});
