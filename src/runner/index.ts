/*
 * The runner: where a task's commands run (DockerSandbox, behind the Sandbox port) and the
 * checkout they run on (Workspace). Wiring code imports from here.
 */
export type { ExecOptions, ExecResult, Sandbox } from './sandbox.js';
export { DockerSandbox, type DockerSandboxOptions } from './docker-sandbox.js';
export { createTaskSandbox } from './task-sandbox.js';
export { reapOrphans, type ReapOptions, type ReapResult } from './reap-orphans.js';
export { Workspace, type ReadOnlyMount, type TaskCheckout, type TaskResult, type WorkspaceOptions, type WorkspaceRepo } from './workspace.js';
export type { DiffStat, TaskDiff } from './diff-stat.js';
export { isTaskBranch, slugify, taskBranchName } from '../tasks/branch-name.js';
export { sandboxUserFor, type SandboxUser } from './sandbox-user.js';
export { DEFAULT_PROJECT, LABEL_PROJECT, LABEL_ROLE, LABEL_TASK_ID } from './labels.js';
