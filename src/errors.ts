/**
 * Every error code of the project: a closed set, so a switch over codes is checked. Codes reach
 * people through `task_failed` events (the thread shows the message, the code helps support).
 */
export type ErrorCode =
  | 'base_branch_missing'
  | 'branch_exists'
  | 'branch_moved'
  | 'branch_not_found'
  | 'checkpoint_missing'
  | 'docker_unavailable'
  | 'codehost_auth_failed'
  | 'codehost_error'
  | 'codehost_not_installed'
  | 'codehost_unreachable'
  | 'pull_request_closed'
  | 'pull_request_invalid'
  | 'config_invalid'
  | 'git_failed'
  | 'invalid_branch'
  | 'invalid_env'
  | 'invalid_task_id'
  | 'model_auth_failed'
  | 'model_bad_request'
  | 'model_context_too_long'
  | 'model_error'
  | 'model_forbidden'
  | 'model_not_found'
  | 'model_quota_exceeded'
  | 'model_rate_limited'
  | 'model_unavailable'
  | 'model_unreachable'
  | 'patch_failed'
  | 'patch_invalid'
  | 'path_outside_workspace'
  | 'push_failed'
  | 'repo_fetch_failed'
  | 'repo_removed'
  | 'sandbox_exec_failed'
  | 'sandbox_file_error'
  | 'sandbox_file_binary'
  | 'sandbox_file_not_utf8'
  | 'sandbox_file_not_found'
  | 'sandbox_file_too_large'
  | 'sandbox_not_a_file'
  | 'sandbox_root_user'
  | 'sandbox_start_failed'
  | 'sandbox_stopped'
  | 'sandbox_not_removed'
  | 'run_superseded'
  | 'too_many_queued'
  | 'service_unavailable'
  | 'setup_failed'
  | 'setup_cache_invalid'
  | 'redis_timeout'
  | 'queue_timeout'
  | 'queue_unavailable'
  | 'worker_lost'
  | 'workspace_too_large'
  | 'agent_error'
  | 'internal_error'
  | 'timeout';

/**
 * One base error for the whole project. Every error that can reach a user carries a stable
 * `code`, whether retrying could help, and a sentence that tells the user what to do next.
 * Adapters (Docker, git, OpenAI, Slack, Redis) translate their SDK errors into these.
 */
export class CodexError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** A sentence a person can act on; never a stack trace. */
  readonly userMessage: string;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean; userMessage?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CodexError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.userMessage = options.userMessage ?? message;
  }

  static isInstance(e: unknown): e is CodexError {
    return e instanceof CodexError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'CodexError');
  }
}

/** Raised when the environment or the repo config file is invalid; names every problem at once. */
export class ConfigError extends CodexError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('config_invalid', `Configuration is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Raised by the sandbox's file operations for paths that would leave /workspace. */
export class PathEscapeError extends CodexError {
  constructor(path: string, reason: string) {
    super('path_outside_workspace', `Refused ${JSON.stringify(path)}: ${reason}. Use a path relative to the repository root that stays inside /workspace.`);
    this.name = 'PathEscapeError';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
