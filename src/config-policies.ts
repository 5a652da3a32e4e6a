import { z } from 'zod';

/*
 * The policy parts of the repo config file (src/config.ts): limits, budgets, approval policy,
 * Slack settings and access rules.
 */

/*
 * Limits, budgets and approval policy can be set file-wide and overridden per repo (and the
 * policy per channel). Each schema therefore has every field optional and no defaults; the
 * defaults live in one constant beside it and are applied when a repo is resolved.
 */

/** Resource limits of a task's sandbox and its commands. */
export const limitsSchema = z.object({
  memoryMb: z.number().int().min(64).optional(),
  cpus: z.number().positive().max(64).optional(),
  pids: z.number().int().min(16).optional(),
  /** Default timeout of one command when the model names none. */
  commandTimeoutSec: z.number().positive().optional(),
  /** The longest a single command may run, whatever the model asks for. */
  maxCommandTimeoutSec: z.number().positive().optional(),
  /**
   * The most the checkout (work tree and its `.git`) may hold, in MiB of apparent size: a sparse
   * file counts at its full length. Also the largest file a sandbox can write (an `fsize` ulimit).
   */
  diskMb: z.number().int().min(1).optional(),
  /** The most files, directories and symlinks the checkout may hold. */
  maxFiles: z.number().int().min(1).optional(),
  /** Installation-wide (read from the file's top-level `limits` only): tasks one person may have waiting in the queue. */
  maxQueuedTasksPerUser: z.number().int().min(1).optional(),
  /** Installation-wide: tasks running at once; more wait in line without holding a worker slot. Unset: no cap. */
  maxRunningTasks: z.number().int().min(1).optional(),
  /** Installation-wide: tasks one person may have running at once. Unset: no cap. */
  maxRunningTasksPerUser: z.number().int().min(1).optional(),
});
export type Limits = Required<z.infer<typeof limitsSchema>>;
export const DEFAULT_LIMITS: Limits = { memoryMb: 2048, cpus: 1, pids: 256, commandTimeoutSec: 10, maxCommandTimeoutSec: 600, diskMb: 4096, maxFiles: 200_000, maxQueuedTasksPerUser: 10, maxRunningTasks: 0, maxRunningTasksPerUser: 0 };

/** The context window assumed when `budgets.contextWindowTokens` is not set (GPT-5-class models). */
const DEFAULT_CONTEXT_WINDOW = 272_000;

/** How far an agent may go before a task ends with a summary of where it stands. */
export const budgetsSchema = z
  .object({
    /** Model calls per turn. */
    maxSteps: z.number().int().min(1).optional(),
    maxMinutes: z.number().positive().optional(),
    maxTokens: z.number().int().min(1000).optional(),
    /** Tokens of a whole task, over all its turns (a reply does not start a fresh budget). */
    maxTaskTokens: z.number().int().min(1000).optional(),
    /** The model's context window in tokens: what one request may hold at most. */
    contextWindowTokens: z.number().int().min(2000).optional(),
    /**
     * Once a response's input reaches this many tokens, the conversation is compacted before the
     * next request (src/agent/compaction.ts). Default: 80% of `contextWindowTokens`; must be below it.
     */
    compactAtTokens: z.number().int().min(1000).optional(),
  })
  .superRefine((b, ctx) => {
    const window = b.contextWindowTokens ?? DEFAULT_CONTEXT_WINDOW;
    if (b.compactAtTokens !== undefined && b.compactAtTokens >= window) {
      const whose = b.contextWindowTokens === undefined ? `the default contextWindowTokens (${window})` : `contextWindowTokens (${window})`;
      ctx.addIssue({ code: 'custom', path: ['compactAtTokens'], message: `must be below ${whose}: set it lower, or raise contextWindowTokens to the model's real window` });
    }
  });
export type Budgets = Required<z.infer<typeof budgetsSchema>>;
/** The share of the window at which a conversation is compacted when `compactAtTokens` is not set. */
export const COMPACT_AT_SHARE = 0.8;
export const DEFAULT_BUDGETS: Budgets = { maxSteps: 60, maxMinutes: 45, maxTokens: 2_000_000, maxTaskTokens: 10_000_000, contextWindowTokens: DEFAULT_CONTEXT_WINDOW, compactAtTokens: Math.floor(DEFAULT_CONTEXT_WINDOW * COMPACT_AT_SHARE) };

/** Budgets with every default filled in: `compactAtTokens` follows the window unless it is set. */
export function withBudgetDefaults(set: Partial<Budgets>): Budgets {
  const defined = Object.fromEntries(Object.entries(set).filter(([, v]) => v !== undefined)) as Partial<Budgets>;
  const contextWindowTokens = defined.contextWindowTokens ?? DEFAULT_CONTEXT_WINDOW;
  return { ...DEFAULT_BUDGETS, ...defined, contextWindowTokens, compactAtTokens: defined.compactAtTokens ?? Math.floor(contextWindowTokens * COMPACT_AT_SHARE) };
}

/**
 * When the agent must stop and ask. `never`: the agent works unattended inside its sandbox
 * (the rules below still apply). `on-request`: the model may also ask on its own.
 */
export const approvalPolicySchema = z.object({
  mode: z.enum(['never', 'on-request']).optional(),
  /** Regular expressions; a command matching any of them always asks. */
  commandPatterns: z.array(z.string()).optional(),
  /** A command that needs network always asks (network is otherwise off). */
  network: z.boolean().optional(),
  /** A single change touching more than this many lines asks; 0 means never. */
  changeLinesOver: z.number().int().min(0).optional(),
  /** Pushing a branch or opening a pull request always asks. */
  push: z.boolean().optional(),
  /** Minutes to wait for a decision; none counts as Deny. */
  timeoutMinutes: z.number().positive().optional(),
  /** `false`: a task's owner may not approve its own requests; a configured approver must. */
  selfApprove: z.boolean().optional(),
});
export type ApprovalPolicy = Required<z.infer<typeof approvalPolicySchema>>;
export const DEFAULT_APPROVAL: ApprovalPolicy = { mode: 'on-request', commandPatterns: [], network: true, changeLinesOver: 0, push: true, timeoutMinutes: 30, selfApprove: true };

/** Settings of the Slack side. */
export const slackSettingsSchema = z.object({
  /** chat.update calls per minute for the whole workspace, shared by every task and worker. */
  updatesPerMinute: z.number().int().min(1).default(50),
  /** chat.postMessage calls per second per channel. */
  postsPerSecond: z.number().positive().default(1),
  /** Characters of earlier thread messages given to a task started by a mention. */
  threadContextChars: z.number().int().min(0).default(12_000),
  /**
   * Slack workspaces (team ids like T012ABCDEF) besides the bot's own whose members may start,
   * steer and approve tasks: people of a shared (Slack Connect) channel's other workspaces are
   * refused unless listed here.
   */
  allowedTeams: z.array(z.string().regex(/^[TE][A-Z0-9]+$/, 'must be a Slack team id like T012ABCDEF')).default([]),
  /**
   * `auto`: a working turn's narration and commands stream into its thread (chat.startStream),
   * falling back to ordinary messages where Slack cannot; `off`: ordinary messages only.
   */
  streaming: z.enum(['auto', 'off']).default('auto'),
  /** A stream is stopped and a new one started before it is this old (Slack ends them after five minutes). */
  streamMaxSeconds: z.number().int().min(1).max(290).default(270),
  /**
   * One Slack Code channel per task (agents.conversations.create, scope `code_channels:manage`):
   * context bar, diff and pull request views, steering, approvals and Stop there too. Off by default.
   */
  codeChannels: z.boolean().default(false),
});
export type SlackSettings = z.infer<typeof slackSettingsSchema>;

export const slackUserId = z.string().regex(/^[UW][A-Z0-9]+$/, 'must be a Slack user id like U012ABCDEF');
export const slackChannelId = z.string().regex(/^[CGD][A-Z0-9]+$/, 'must be a Slack channel id like C012ABCDEF');

export const accessSchema = z.object({
  /** Who may start tasks; absent means every member of the workspace. */
  users: z.array(slackUserId).optional(),
  /** Where tasks may be started; absent means every channel the bot is in. */
  channels: z.array(slackChannelId).optional(),
  /** Who may approve, steer, stop and cancel any task besides its owner. */
  approvers: z.array(slackUserId).default([]),
  /** Who may steer any task besides its owner and the approvers. */
  steerers: z.array(slackUserId).default([]),
});
export type Access = z.infer<typeof accessSchema>;
