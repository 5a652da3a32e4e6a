import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { stripUrlCredentials } from './util/redact.js';

export type { Logger };

/**
 * Paths of log fields that may hold credentials; pino replaces their values with [redacted].
 * Secrets inside free text are the job of util/redact.ts (everything posted to Slack).
 */
export const REDACT_PATHS: string[] = [
  ...['token', 'botToken', 'appToken', 'apiKey', 'password', 'secret', 'signingSecret', 'clientSecret', 'privateKey', 'accessToken', 'authorization', 'cookie'].flatMap((k) => [k, `*.${k}`]),
  ...['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'OPENAI_API_KEY', 'GITHUB_APP_PRIVATE_KEY'].flatMap((k) => [k, `*.${k}`]),
  'headers.authorization',
  'headers.Authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.headers.cookie',
  // Bolt's own log calls are passed on as `{ bolt: [args…] }`.
  'bolt[*].token',
  'bolt[*].headers.authorization',
];
/** Fields that hold URLs (a repo's `url` and `pushUrl`, a remote): only their credentials go. */
const URL_PATHS = ['url', '*.url', '*.*.url', 'pushUrl', '*.pushUrl', '*.*.pushUrl', 'remoteUrl', '*.remoteUrl', 'remote', '*.remote', 'href', '*.href'];
const URL_KEYS = new Set(URL_PATHS.map((p) => p.split('.').at(-1)!));

/** Censors a redacted field: URL fields keep the URL without its `user:password@`, every other field is replaced. */
function censor(value: unknown, path: string[]): unknown {
  if (URL_KEYS.has(path.at(-1)!)) return typeof value === 'string' ? stripUrlCredentials(value) : value;
  return '[redacted]';
}

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Human-readable lines (pino-pretty) instead of JSON; default: when stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go (default stdout); for tests. */
  destination?: DestinationStream;
}

/**
 * The process-wide logger: one JSON object per line (for log collectors), or readable colored
 * lines when a person watches a terminal. Task work logs through `taskLogger` so every line
 * carries the task id.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const human = options.pretty ?? Boolean(process.stdout.isTTY);
  const settings = {
    name: options.name ?? 'codex-slack',
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: [...REDACT_PATHS, ...URL_PATHS], censor },
  };
  if (human) {
    const stream = pretty({ colorize: options.destination ? false : Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,name', sync: true, ...(options.destination ? { destination: options.destination } : {}) });
    return pino(settings, stream);
  }
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

export function taskLogger(logger: Logger, taskId: string): Logger {
  return logger.child({ taskId });
}

/** A logger that writes nothing, for tests and benchmarks that do not read logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
