import { pino, type DestinationStream, type Logger } from 'pino';
import { stripUrlCredentials } from './util/redact.js';

export type { Logger };

/** Fields that are secrets whole: their value is replaced. */
const SECRET_PATHS = ['token', '*.token', 'apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization'];
/** Fields that hold URLs (a repo's `url` and `pushUrl`, a remote): only their credentials go. */
const URL_PATHS = ['url', '*.url', '*.*.url', 'pushUrl', '*.pushUrl', '*.*.pushUrl', 'remoteUrl', '*.remoteUrl', 'remote', '*.remote', 'href', '*.href'];
const URL_KEYS = new Set(URL_PATHS.map((p) => p.split('.').at(-1)!));

/**
 * Censors a redacted field: URL fields keep the URL without its `user:password@`, every other
 * field is replaced.
 */
function censor(value: unknown, path: string[]): unknown {
  if (URL_KEYS.has(path.at(-1)!)) return typeof value === 'string' ? stripUrlCredentials(value) : value;
  return '[redacted]';
}

/** The process-wide logger. Task work logs through `taskLogger` so every line carries the task id. */
export function createLogger(options: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  const opts = {
    name: options.name ?? 'codex-slack',
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: [...SECRET_PATHS, ...URL_PATHS], censor },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

export function taskLogger(logger: Logger, taskId: string): Logger {
  return logger.child({ taskId });
}

/** A logger that writes nothing, for tests and benchmarks that do not read logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
