/**
 * One base error for the whole project. Every error that can reach a user carries a stable
 * `code`, whether retrying could help, and a sentence that tells the user what to do next.
 * Adapters (Docker, git, OpenAI, Slack, Redis) translate their SDK errors into these.
 */
export class CodexError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  /** A sentence a person can act on; never a stack trace. */
  readonly userMessage: string;

  constructor(
    code: string,
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
