import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';

/*
 * One schema for the environment and one for the repo config file (CODEX_CONFIG).
 * `loadConfig` reads both and, when anything is wrong, throws one ConfigError naming every
 * problem, so a person fixes the whole set in one go. Names are the contract in
 * ../shared/ARCHITECTURE.md; the README's configuration reference lists the same names.
 */

const nonEmpty = z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') }).trim().min(1, 'must not be empty');
const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url().optional());

export const roleSchema = z.enum(['all', 'app', 'worker']);
export type Role = z.infer<typeof roleSchema>;

export const envSchema = z.object({
    SLACK_BOT_TOKEN: nonEmpty.regex(/^xox[bp]-/, 'must be a bot token starting with xoxb-'),
    SLACK_SIGNING_SECRET: z.string().optional(),
    SLACK_APP_TOKEN: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^xapp-/, 'must be an app-level token starting with xapp-').optional()),
    SLACK_API_URL: optionalUrl,
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    OPENAI_API_KEY: z.string().optional(),
    OPENAI_BASE_URL: optionalUrl,
    CODEX_MODEL: nonEmpty.default('gpt-5-codex'),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
    DOCKER_HOST: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^(unix|tcp|https?|ssh):\/\//, 'must be a unix://, tcp://, http(s):// or ssh:// address').optional()),
    CODEX_CONFIG: nonEmpty,
    CODEX_ROLE: roleSchema.default('all'),
    CODEX_DATA_DIR: nonEmpty.default('.codex-data'),
    CODEX_SANDBOX_IMAGE: nonEmpty.default('codex-sandbox:latest'),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
    /** Key prefix in Redis, so several installations (or test runs) can share one Redis. */
    CODEX_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, - or _').default('codex'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Checks that depend on the role; kept outside the schema so they are reported with every other problem. */
function roleProblems(source: NodeJS.ProcessEnv): string[] {
  const role = roleSchema.safeParse(source.CODEX_ROLE ?? 'all');
  if (!role.success) return [];
  const problems: string[] = [];
  const has = (name: string) => Boolean(source[name]?.trim());
  if (role.data !== 'worker' && !has('SLACK_APP_TOKEN') && !has('SLACK_SIGNING_SECRET')) {
    problems.push('SLACK_SIGNING_SECRET: is required in HTTP mode (set it, or set SLACK_APP_TOKEN for Socket Mode)');
  }
  if (role.data !== 'app' && !has('OPENAI_API_KEY')) {
    problems.push('OPENAI_API_KEY: is required to run tasks (the worker calls the model)');
  }
  return problems;
}
export type Env = z.infer<typeof envSchema>;

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

/** How far an agent may go before a task ends with a summary of where it stands. */
export const budgetsSchema = z.object({
  /** Model calls per turn. */
  maxSteps: z.number().int().min(1).optional(),
  maxMinutes: z.number().positive().optional(),
  maxTokens: z.number().int().min(1000).optional(),
  /** Tokens of a whole task, over all its turns (a reply does not start a fresh budget). */
  maxTaskTokens: z.number().int().min(1000).optional(),
});
export type Budgets = Required<z.infer<typeof budgetsSchema>>;
export const DEFAULT_BUDGETS: Budgets = { maxSteps: 60, maxMinutes: 45, maxTokens: 2_000_000, maxTaskTokens: 10_000_000 };

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
});
export type SlackSettings = z.infer<typeof slackSettingsSchema>;

const slackUserId = z.string().regex(/^[UW][A-Z0-9]+$/, 'must be a Slack user id like U012ABCDEF');
const slackChannelId = z.string().regex(/^[CGD][A-Z0-9]+$/, 'must be a Slack channel id like C012ABCDEF');

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

export const repoSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, dot, dash or underscore'),
  /** Anything `git clone` takes: https, ssh, a local path or file://. */
  url: nonEmpty,
  baseBranch: nonEmpty.default('main'),
  /** Sandbox image for this repo; the default image (CODEX_SANDBOX_IMAGE) otherwise. */
  image: nonEmpty.optional(),
  /** Commands run in the sandbox before the agent starts (install dependencies, …). */
  setup: z.array(nonEmpty).default([]),
  limits: limitsSchema.optional(),
  approval: approvalPolicySchema.optional(),
  access: accessSchema.partial().optional(),
  /**
   * Docker network the egress proxy of approved network commands reaches the outside through
   * (default `bridge`). Network commands themselves join an internal network that only reaches
   * the proxy (src/runner/egress.ts).
   */
  network: nonEmpty.optional(),
  /**
   * Exceptions to the egress proxy's refusal of the Docker host, link-local/metadata and private
   * addresses: host names (`db.internal`; `.corp.example` for a domain and its subdomains) or
   * IP addresses/CIDRs (`10.1.2.0/24`).
   */
  networkAllow: z.array(z.string().refine(isNetworkAllowEntry, 'must be a host name, an IP address or a CIDR')).default([]),
  /**
   * Push each task's branch to the upstream (`pushUrl`, default `url`) when a turn ends with
   * changes, using the worker's own git credentials (never the sandbox's). Asks first when the
   * approval policy's `push` is on.
   */
  pushBranches: z.boolean().default(false),
  pushUrl: nonEmpty.optional(),
  /**
   * Give each task's sandbox only its own objects (those reachable from its base and its own
   * branch), copied into its checkout, instead of the mirror's shared objects: other tasks'
   * commits of this repo stay unreadable. Costs a copy of the history per checkout.
   */
  isolateObjects: z.boolean().default(false),
  /**
   * OCI runtime of this repo's sandboxes and their network siblings, as registered with the
   * Docker engine (`runsc` for gVisor); the engine's default (runc) when absent.
   */
  runtime: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be the name of a runtime registered with Docker, like runsc').optional(),
});
export type RepoConfigInput = z.infer<typeof repoSchema>;

export const channelSchema = z.object({
  defaultRepo: z.string().optional(),
  approval: approvalPolicySchema.optional(),
});

export const repoFileSchema = z
  .object({
    repos: z.array(repoSchema).min(1, 'must list at least one repo'),
    /** Per-channel settings, keyed by channel id. */
    channels: z.record(slackChannelId, channelSchema).default({}),
    access: accessSchema.default({ approvers: [], steerers: [] }),
    limits: limitsSchema.default({}),
    budgets: budgetsSchema.default({}),
    approval: approvalPolicySchema.default({}),
    slack: slackSettingsSchema.default(slackSettingsSchema.parse({})),
    /** The setup cache (src/runner/setup-cache.ts): the most GiB it keeps; least recently used entries go first. */
    cache: z.object({ maxGb: z.number().positive().default(10) }).default({ maxGb: 10 }),
    /** Scheduled tasks (`/codex schedule`). */
    automations: z
      .object({
        /** The shortest gap between two runs of one automation. */
        minIntervalMinutes: z.number().positive().default(15),
        /** IANA time zone the cron lines are read in. */
        timezone: z.string().default('UTC'),
      })
      .default({ minIntervalMinutes: 15, timezone: 'UTC' }),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.repos.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['repos', i, 'name'], message: `duplicate repo name "${r.name}"` });
      seen.add(r.name);
    });
    for (const [id, ch] of Object.entries(file.channels)) {
      if (ch.defaultRepo && !seen.has(ch.defaultRepo)) {
        ctx.addIssue({ code: 'custom', path: ['channels', id, 'defaultRepo'], message: `names unknown repo "${ch.defaultRepo}"` });
      }
    }
  });
export type RepoFile = z.infer<typeof repoFileSchema>;

/** A repo with every default resolved: what the runner and the agent use. */
export interface RepoConfig {
  name: string;
  url: string;
  baseBranch: string;
  image: string;
  setup: string[];
  limits: Limits;
  approval: ApprovalPolicy;
  access: Access;
  network: string;
  /** Names and CIDRs the egress proxy lets approved network commands reach (repoSchema). */
  networkAllow: string[];
  pushBranches: boolean;
  /** Each checkout holds only its own objects; the mirror is not mounted (repoSchema). */
  isolateObjects: boolean;
  /** OCI runtime of the repo's sandboxes (`runsc` for gVisor); undefined: the engine's default. */
  runtime?: string;
  /** Where task branches are pushed (the repo's url unless pushUrl is set). */
  pushUrl: string;
}

export interface Config {
  env: Env;
  file: RepoFile;
  repos: RepoConfig[];
  /** Absolute path of the data directory (mirrors, checkouts). */
  dataDir: string;
  /** The configured repo of that name, resolved; undefined when it is not (or no longer) configured. */
  findRepo(name: string): RepoConfig | undefined;
  /** The approval policy of `repo` for a task in `channel` (the channel's override wins). */
  approvalFor(repo: RepoConfig, channel?: string): ApprovalPolicy;
}

/** Builds the resolved config of an environment and a repo file (what loadConfig returns). */
export function resolveConfig(env: Env, file: RepoFile, dataDir: string): Config {
  const repos = file.repos.map((r) => resolveRepo(file, r, env.CODEX_SANDBOX_IMAGE));
  const byName = new Map(repos.map((r) => [r.name, r]));
  return {
    env,
    file,
    repos,
    dataDir,
    findRepo: (name) => byName.get(name),
    approvalFor: (repo, channel) => {
      const channelPolicy = channel ? file.channels[channel]?.approval : undefined;
      return channelPolicy ? { ...repo.approval, ...stripUndefined(channelPolicy) } : repo.approval;
    },
  };
}

function formatIssues(prefix: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '');
    return `${prefix}${path || '(top level)'}: ${issue.message}`;
  });
}

/** Resolves a repo's settings against the file-wide defaults. */
export function resolveRepo(file: RepoFile, repo: RepoConfigInput, defaultImage: string): RepoConfig {
  return {
    name: repo.name,
    url: repo.url,
    baseBranch: repo.baseBranch,
    image: repo.image ?? defaultImage,
    setup: repo.setup,
    limits: { ...DEFAULT_LIMITS, ...stripUndefined(file.limits), ...stripUndefined(repo.limits ?? {}) },
    approval: { ...DEFAULT_APPROVAL, ...stripUndefined(file.approval), ...stripUndefined(repo.approval ?? {}) },
    access: {
      users: repo.access?.users ?? file.access.users,
      channels: repo.access?.channels ?? file.access.channels,
      approvers: [...file.access.approvers, ...(repo.access?.approvers ?? [])],
      steerers: [...file.access.steerers, ...(repo.access?.steerers ?? [])],
    },
    network: repo.network ?? 'bridge',
    networkAllow: repo.networkAllow,
    pushBranches: repo.pushBranches,
    isolateObjects: repo.isolateObjects,
    runtime: repo.runtime,
    pushUrl: repo.pushUrl ?? repo.url,
  };
}

export function resolveBudgets(file: RepoFile): Budgets {
  return { ...DEFAULT_BUDGETS, ...stripUndefined(file.budgets) };
}

/** A `networkAllow` entry: an IP address, a CIDR, or a host name (a leading dot for a domain). */
export function isNetworkAllowEntry(entry: string): boolean {
  const [addr, bits, ...rest] = entry.split('/');
  const version = isIP(addr ?? '');
  if (version !== 0) return rest.length === 0 && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128)));
  return bits === undefined && /^\.?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*$/.test(entry) && entry.length <= 253;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Parses the repo config file's text; problems are returned, not thrown, so they join the env's. */
export function parseRepoFile(text: string, source: string): { file?: RepoFile; problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { problems: [`CODEX_CONFIG (${source}) is not valid JSON: ${(e as Error).message}`] };
  }
  const parsed = repoFileSchema.safeParse(json);
  if (!parsed.success) return { problems: formatIssues(`CODEX_CONFIG (${source}) `, parsed.error) };
  return { file: parsed.data, problems: [] };
}

/**
 * Reads the environment and the repo config file. Throws one ConfigError listing every
 * problem found in both.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const env = envSchema.safeParse(source);
  if (!env.success) problems.push(...formatIssues('', env.error));
  problems.push(...roleProblems(source));

  let file: RepoFile | undefined;
  const configPath = source.CODEX_CONFIG?.trim();
  if (configPath) {
    const abs = isAbsolute(configPath) ? configPath : resolve(cwd, configPath);
    let text: string | undefined;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (e) {
      problems.push(`CODEX_CONFIG: cannot read ${abs} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (text !== undefined) {
      const parsed = parseRepoFile(text, abs);
      problems.push(...parsed.problems);
      file = parsed.file;
    }
  }
  if (problems.length > 0 || !env.success || !file) throw new ConfigError(problems);
  const dataDir = isAbsolute(env.data.CODEX_DATA_DIR) ? env.data.CODEX_DATA_DIR : resolve(cwd, env.data.CODEX_DATA_DIR);
  return resolveConfig(env.data, file, dataDir);
}

/**
 * The config as `npm start` and `npm run doctor` read it: `.env` in the working directory first
 * (as the README sets it up; variables already set win), then the environment and the repo
 * file. A problem comes back as the one message that names every problem, never thrown.
 */
export function readStartConfig(): { config: Config } | { problem: string } {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return { config: loadConfig() };
  } catch (e) {
    if (e instanceof ConfigError) return { problem: `${e.message}\nSee the configuration reference in README.md.` };
    throw e;
  }
}
