/**
 * The Sandbox port: where every command of a task runs and every file of its checkout is read
 * or written. The agent knows only this interface, never Docker. Implementations must hold no
 * secrets and must confine file access to the checkout mounted at `/workspace`.
 */
export interface ExecOptions {
  /** Milliseconds before the command's whole process group is killed; capped by the sandbox's maximum. */
  timeoutMs?: number;
  /** Aborting kills the command's whole process group at once; the sandbox stays usable. */
  signal?: AbortSignal;
  /** Working directory relative to /workspace (default: /workspace). */
  cwd?: string;
  /** Extra environment for this command only. Never put secrets here. */
  env?: Record<string, string>;
  /**
   * Run with network access. Only for a command a person approved: the implementation runs it
   * in a short-lived sibling on the same checkout attached to the configured network.
   */
  network?: boolean;
  /** Text written to the command's standard input. */
  stdin?: string;
}

export interface ExecResult {
  exitCode: number;
  /** Capped: beyond the output cap the head and tail are kept with a marker saying how much was cut. */
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** True when the caller's AbortSignal stopped the command. */
  aborted: boolean;
  /** True when stdout or stderr was cut to the cap. */
  truncated: boolean;
}

export interface Sandbox {
  /** Stable identifier (the container id for Docker). */
  readonly id: string;
  /** Starts the sandbox; idempotent. */
  start(): Promise<void>;
  /** Runs `bash -lc <command>` in /workspace. Never throws for a non-zero exit or a timeout. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Reads a file of the checkout. Paths are relative to /workspace; escapes throw PathEscapeError. */
  readFile(path: string): Promise<string>;
  /** Writes a file of the checkout, creating parent directories. Escapes throw PathEscapeError. */
  writeFile(path: string, content: string): Promise<void>;
  /** Deletes a file of the checkout. Escapes throw PathEscapeError. */
  deleteFile(path: string): Promise<void>;
  /** True when the path exists as a regular file inside the checkout. */
  fileExists(path: string): Promise<boolean>;
  /**
   * Runs `work` while every process of the sandbox is frozen (Docker: `pause`, the cgroup
   * freezer), so the host can read the checkout knowing nothing changes it meanwhile, not even a
   * process the agent left running in the background. Throws when the sandbox cannot be frozen.
   */
  freeze<T>(work: () => Promise<T>): Promise<T>;
  /** Stops and removes the sandbox; idempotent. The checkout itself is left alone. */
  stop(): Promise<void>;
}

/** Where the installation's skills (config `skillsDir`) appear in every sandbox, read-only. */
export const INSTALLATION_SKILLS_DIR = '/opt/codex/skills';
