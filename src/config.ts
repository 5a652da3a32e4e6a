import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { accessSchema, approvalPolicySchema, budgetsSchema, DEFAULT_APPROVAL, withBudgetDefaults, DEFAULT_LIMITS, limitsSchema, slackChannelId, slackSettingsSchema, type Access, type ApprovalPolicy, type Budgets, type Limits } from './config-policies.js';
import { ConfigError } from './errors.js';
import { envSchema, nonEmpty, roleProblems, type Env } from './config-env.js';

/** The environment's and the policies' schemas live beside this file; everything config is imported from here. */
export * from './config-env.js';
export * from './config-policies.js';

/*
 * One schema for the environment and one for the repo config file (CODEX_CONFIG).
 * `loadConfig` reads both and, when anything is wrong, throws one ConfigError naming every
 * problem, so a person fixes the whole set in one go. Names follow
 * the target architecture's contracts; the README's configuration reference lists the same names.
 */



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
  /** `owner/name` of the repo on GitHub: fetches, pushes and pull requests use the GitHub App's installation token. */
  github: z.string().regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/, 'must be "owner/name", like "acme/billing"').optional(),
  /** Open (or update) the task's pull request at the end of every turn that changed files, without a click. */
  autoPullRequest: z.boolean().default(false),
  /** Open pull requests as drafts. */
  draftPullRequests: z.boolean().default(false),
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
  /** Model of tasks started here without `--model` (one of `models`), unless the person chose a default. */
  model: nonEmpty.optional(),
  /** Personality of tasks started here without `--personality`, unless the person chose a default. */
  personality: nonEmpty.optional(),
});

/** Personalities every installation has; their texts are in src/agent/prompts.ts. */
export const BUILTIN_PERSONALITIES = ['pragmatic', 'friendly'] as const;
const personalityName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'must be lowercase letters, digits, - or _ (at most 40)');

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
    /**
     * Sandboxes kept created and started ahead of tasks (src/runner/warm-pool.ts), per distinct
     * container shape of the configured repos (image, runtime, memory/CPU/PID/disk limits).
     */
    sandbox: z
      .object({
        /** Ready sandboxes per shape; 0 turns the pool off. */
        warmPool: z.number().int().min(0).max(16).default(1),
        /** A ready sandbox older than this is replaced (it may run an image rebuilt since). */
        warmMaxAgeMinutes: z.number().positive().default(30),
      })
      .default({ warmPool: 1, warmMaxAgeMinutes: 30 }),
    /** Scheduled tasks (`/codex schedule`). */
    automations: z
      .object({
        /** The shortest gap between two runs of one automation. */
        minIntervalMinutes: z.number().positive().default(15),
        /** IANA time zone the cron lines are read in. */
        timezone: z.string().default('UTC'),
      })
      .default({ minIntervalMinutes: 15, timezone: 'UTC' }),
    /** Models a task may ask for with `--model`; `[CODEX_MODEL]` when absent (CODEX_MODEL is always allowed). */
    models: z.array(nonEmpty).min(1).optional(),
    /** More personalities (`--personality NAME`) by name: how the agent writes, never what it may do. */
    personalities: z.record(personalityName, nonEmpty).default({}),
    /**
     * The installation's skills on the worker host (`<dir>/<name>/SKILL.md`, as a repo's
     * `.codex/skills`), mounted read-only into every sandbox. An absolute path.
     */
    skillsDir: z.string().refine((p) => isAbsolute(p), 'must be an absolute path').optional(),
    /** Hosted tools of the Responses API offered to the model besides the agent's own. */
    tools: z
      .object({
        /** Offer the hosted `web_search` tool (the model searches; nothing runs in the sandbox). */
        webSearch: z.boolean().default(false),
      })
      .default({ webSearch: false }),
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

/** Every personality a task may ask for: the built-ins, then the file's own (a file entry may redefine a built-in's text). */
export function personalityNames(file: Pick<RepoFile, 'personalities'>): string[] {
  return [...new Set<string>([...BUILTIN_PERSONALITIES, ...Object.keys(file.personalities)])];
}

/** Models a task may ask for: the file's `models`, and CODEX_MODEL (what a task uses without `--model`). */
export function allowedModels(env: Pick<Env, 'CODEX_MODEL'>, file: Pick<RepoFile, 'models'>): string[] {
  return [...new Set([...(file.models ?? []), env.CODEX_MODEL])];
}

/** Checks of a channel's model (which needs the environment: CODEX_MODEL) and personality. */
function channelProblems(env: Env, file: RepoFile, source: string): string[] {
  const models = allowedModels(env, file);
  const personalities = personalityNames(file);
  return Object.entries(file.channels).flatMap(([id, ch]) => [
    ...(ch.model !== undefined && !models.includes(ch.model) ? [`CODEX_CONFIG (${source}) channels.${id}.model: names unknown model "${ch.model}" (allowed: ${models.join(', ')}; add it to \`models\`)`] : []),
    ...(ch.personality !== undefined && !personalities.includes(ch.personality) ? [`CODEX_CONFIG (${source}) channels.${id}.personality: names unknown personality "${ch.personality}" (known: ${personalities.join(', ')})`] : []),
  ]);
}

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
  /** The repo on GitHub, when it is hosted there (repoSchema). */
  github?: { owner: string; name: string };
  autoPullRequest?: boolean;
  draftPullRequests?: boolean;
}

/** The GitHub App the worker acts as (GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY, the key read from its file when a path was given). */
export interface GitHubAppConfig {
  appId: string;
  privateKey: string;
  apiUrl: string;
}

export interface Config {
  env: Env;
  /** Set when GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY are. */
  github?: GitHubAppConfig;
  file: RepoFile;
  repos: RepoConfig[];
  /** Absolute path of the data directory (mirrors, checkouts). */
  dataDir: string;
  /** Models a task may ask for (allowedModels). */
  models: string[];
  /** Personalities a task may ask for (personalityNames). */
  personalities: string[];
  /** The configured repo of that name, resolved; undefined when it is not (or no longer) configured. */
  findRepo(name: string): RepoConfig | undefined;
  /** The approval policy of `repo` for a task in `channel` (the channel's override wins). */
  approvalFor(repo: RepoConfig, channel?: string): ApprovalPolicy;
}

/** Builds the resolved config of an environment and a repo file (what loadConfig returns). */
export function resolveConfig(env: Env, file: RepoFile, dataDir: string, github?: GitHubAppConfig): Config {
  const repos = file.repos.map((r) => resolveRepo(file, r, env.CODEX_SANDBOX_IMAGE));
  const byName = new Map(repos.map((r) => [r.name, r]));
  return {
    env,
    github,
    file,
    repos,
    dataDir,
    models: allowedModels(env, file),
    personalities: personalityNames(file),
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
    github: repo.github ? { owner: repo.github.split('/')[0]!, name: repo.github.split('/')[1]! } : undefined,
    autoPullRequest: repo.autoPullRequest,
    draftPullRequests: repo.draftPullRequests,
  };
}

export function resolveBudgets(file: RepoFile): Budgets {
  return withBudgetDefaults(file.budgets);
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
      if (file && env.success) problems.push(...channelProblems(env.data, file, abs));
    }
  }
  const github = env.success ? readGitHubApp(env.data, cwd, problems) : undefined;
  if (file && env.success && !github) {
    for (const r of file.repos) if (r.github) problems.push(`CODEX_CONFIG repos.${r.name}.github: needs the GitHub App (set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY)`);
  }
  if (problems.length > 0 || !env.success || !file) throw new ConfigError(problems);
  const dataDir = isAbsolute(env.data.CODEX_DATA_DIR) ? env.data.CODEX_DATA_DIR : resolve(cwd, env.data.CODEX_DATA_DIR);
  return resolveConfig(env.data, file, dataDir, github);
}

const PEM = /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+-----END (?:RSA )?PRIVATE KEY-----/;

/** GITHUB_APP_PRIVATE_KEY is the PEM itself (newlines may be written `\n`) or a path to it. */
function readGitHubApp(env: Env, cwd: string, problems: string[]): GitHubAppConfig | undefined {
  if (!env.GITHUB_APP_ID || !env.GITHUB_APP_PRIVATE_KEY) return undefined;
  let key = env.GITHUB_APP_PRIVATE_KEY.includes('-----BEGIN') ? env.GITHUB_APP_PRIVATE_KEY.replace(/\\n/g, '\n') : undefined;
  if (key === undefined) {
    const path = isAbsolute(env.GITHUB_APP_PRIVATE_KEY) ? env.GITHUB_APP_PRIVATE_KEY : resolve(cwd, env.GITHUB_APP_PRIVATE_KEY);
    try {
      key = readFileSync(path, 'utf8');
    } catch (e) {
      problems.push(`GITHUB_APP_PRIVATE_KEY: is neither a PEM private key nor a readable file (${(e as NodeJS.ErrnoException).code ?? 'unreadable'}): paste the key or give the path of the .pem file GitHub gave you`);
      return undefined;
    }
  }
  if (!PEM.test(key)) {
    problems.push('GITHUB_APP_PRIVATE_KEY: is not a PEM private key (it must contain -----BEGIN RSA PRIVATE KEY-----): use the .pem file from the GitHub App settings page');
    return undefined;
  }
  return { appId: env.GITHUB_APP_ID, privateKey: key.trim(), apiUrl: env.GITHUB_API_URL.replace(/\/+$/, '') };
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
