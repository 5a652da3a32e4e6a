import { describe, expect, it } from 'vitest';
import { PathEscapeError } from '../../src/errors.js';
import { checkWorkspacePath, containerPath } from '../../src/runner/workspace-path.js';

describe('checkWorkspacePath', () => {
  it('normalises relative paths', () => {
    expect(checkWorkspacePath('src/a.ts')).toBe('src/a.ts');
    expect(checkWorkspacePath('./src//a.ts/')).toBe('src/a.ts');
    expect(checkWorkspacePath('.')).toBe('');
    expect(checkWorkspacePath('..foo/bar..')).toBe('..foo/bar..');
    expect(containerPath(checkWorkspacePath('a/b'))).toBe('/workspace/a/b');
  });

  it.each([
    ['../escape', "'..' would leave /workspace"],
    ['a/../../b', "'..' would leave /workspace"],
    ['a/..', "'..' would leave /workspace"],
    ['/etc/passwd', 'absolute paths are not allowed'],
    ['/workspace/a', 'absolute paths are not allowed'],
    ['a\0b', 'NUL byte'],
  ])('refuses %j', (path, reason) => {
    expect(() => checkWorkspacePath(path)).toThrow(PathEscapeError);
    expect(() => checkWorkspacePath(path)).toThrow(reason);
  });
});
