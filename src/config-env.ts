import { z } from 'zod';

/*
 * The environment's schema (src/config.ts reads it with the repo config file): the contract's
 * variable names, the README's configuration reference lists the same.
 */

export const nonEmpty = z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') }).trim().min(1, 'must not be empty');
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
    /** Image of the egress proxy that carries a sandbox's approved network commands. */
    CODEX_EGRESS_IMAGE: nonEmpty.default('codex-egress-proxy:latest'),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
    /**
     * Seconds a stopping process (SIGTERM) gives itself: running turns are handed back within
     * it, and the process exits by then whatever state Redis, Docker, Slack or the model are in.
     * docker-compose.yml's stop_grace_period must be longer.
     */
    CODEX_STOP_GRACE_SEC: z.coerce.number().int().min(1).max(3600).default(60),
    /** Key prefix in Redis, so several installations (or test runs) can share one Redis. */
    CODEX_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, - or _').default('codex'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** The GitHub App that pushes branches and opens pull requests on repos with `github` set. */
    GITHUB_APP_ID: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^[0-9]+$/, 'must be the numeric App ID shown on the GitHub App settings page').optional()),
    /** The App's private key: the PEM text itself, or the path of the .pem file (read at start). */
    GITHUB_APP_PRIVATE_KEY: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
    GITHUB_API_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url().default('https://api.github.com')),
});

/** Checks that depend on the role; kept outside the schema so they are reported with every other problem. */
export function roleProblems(source: NodeJS.ProcessEnv): string[] {
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
  if (has('GITHUB_APP_ID') !== has('GITHUB_APP_PRIVATE_KEY')) {
    problems.push(`${has('GITHUB_APP_ID') ? 'GITHUB_APP_PRIVATE_KEY' : 'GITHUB_APP_ID'}: is required with ${has('GITHUB_APP_ID') ? 'GITHUB_APP_ID' : 'GITHUB_APP_PRIVATE_KEY'} (set both to deliver to GitHub, or neither)`);
  }
  return problems;
}
export type Env = z.infer<typeof envSchema>;
