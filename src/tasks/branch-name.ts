import { CodexError } from '../errors.js';

/**
 * Names of task branches and checkout directories. Both end up in paths and git refs that host
 * git and the file system take literally, so they are built only from `[a-z0-9-]` (branch) and
 * a validated task id (directory): no `..`, no slashes, no ref-format surprises.
 */

/** What an id must be to name a checkout directory, container and branch safely (task ids are stricter: TASK_ID_PATTERN). */
const PATH_SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const MAX_SLUG = 40;

/** Throws when a task id could not safely name a directory and a branch. */
export function assertTaskId(taskId: string): void {
  if (!PATH_SAFE_ID.test(taskId)) {
    throw new CodexError('invalid_task_id', `Task id ${JSON.stringify(taskId)} must be 1-128 letters, digits, '-' or '_'.`);
  }
}

/** A lowercase ASCII slug of the prompt's first words, at most 40 characters; `task` when empty. */
export function slugify(text: string, max = MAX_SLUG): string {
  const words = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let slug = '';
  for (const word of words) {
    const next = slug ? `${slug}-${word}` : word;
    if (next.length > max) {
      if (!slug) slug = word.slice(0, max);
      break;
    }
    slug = next;
  }
  return slug || 'task';
}

/** The short id in branch names: the first 8 letters or digits of the task id, lowercased. */
export function shortTaskId(taskId: string): string {
  return taskId.replace(/[^A-Za-z0-9]/g, '').toLowerCase().slice(0, 8) || 'task';
}

/** `codex/<short task id>-<slug of the prompt>`, e.g. `codex/01hx2k3m-fix-the-flaky-date-test`. */
export function taskBranchName(taskId: string, prompt: string): string {
  assertTaskId(taskId);
  return `codex/${shortTaskId(taskId)}-${slugify(prompt)}`;
}

/**
 * True for task branch names: `codex/` and dash-separated lowercase words. Both this module and
 * the task store (src/tasks/task-record.ts) produce that shape; the workspace accepts only it,
 * so a name from a record can never carry `..`, a ref-format surprise or another namespace.
 */
export function isTaskBranch(name: string): boolean {
  return /^codex\/[a-z0-9]+(-[a-z0-9]+)*$/.test(name) && name.length <= 200;
}

export function assertTaskBranch(name: string): void {
  if (!isTaskBranch(name)) {
    throw new CodexError('invalid_branch', `${JSON.stringify(name)} is not a task branch (codex/<id>-<slug>).`);
  }
}
