import { describe, expect, it } from 'vitest';
import { taskBranchName as storeBranchName } from '../../src/tasks/task-record.js';
import { isTaskBranch, slugify, taskBranchName } from '../../src/tasks/branch-name.js';

describe('task branch names', () => {
  it('is codex/<short id>-<slug of the prompt>', () => {
    expect(taskBranchName('01HX2K3M9ZQ', 'Fix the flaky date test!')).toBe('codex/01hx2k3m-fix-the-flaky-date-test');
    expect(taskBranchName('ab12cd34', 'Ünïcödé  wörds & symbols')).toBe('codex/ab12cd34-unicode-words-symbols');
    expect(taskBranchName('ab12cd34', '!!!')).toBe('codex/ab12cd34-task');
  });

  it('cuts the slug at a word boundary within 40 characters', () => {
    const slug = slugify('add retries to the billing client and also rewrite the whole module');
    expect(slug).toBe('add-retries-to-the-billing-client-and');
    expect(slug.length).toBeLessThanOrEqual(40);
    expect(slugify('x'.repeat(60))).toBe('x'.repeat(40));
  });

  it("accepts the task store's names and refuses anything else", () => {
    expect(isTaskBranch(storeBranchName('ab12cd34', 'add retries to the Billing client!'))).toBe(true);
    expect(isTaskBranch(taskBranchName('ab12cd34', 'x'))).toBe(true);
    for (const bad of ['main', 'codex/../main', 'codex/a b', 'refs/heads/codex/a', 'codex/a/b', 'codex/-a', 'codex/a.lock']) {
      expect(isTaskBranch(bad)).toBe(false);
    }
  });
});
