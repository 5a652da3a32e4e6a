import { pino, type Logger } from 'pino';

export type { Logger };

/** The process-wide logger. Task work logs through `taskLogger` so every line carries the task id. */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'codex-slack',
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: ['token', '*.token', 'apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}

export function taskLogger(logger: Logger, taskId: string): Logger {
  return logger.child({ taskId });
}

/** A logger that writes nothing, for tests and benchmarks that do not read logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
