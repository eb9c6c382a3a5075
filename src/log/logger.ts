import { pino, type Logger, type LoggerOptions } from 'pino';

/** A pino logger; rooms take one as a constructor argument and derive children bound to their ids. */
export type { Logger };

/** Options of {@link createLogger}. */
export interface LogOptions {
  /**
   * Minimum level written.
   * @defaultValue 'info'
   */
  level?: string;
  /**
   * Human-readable output (pino-pretty) instead of JSON lines; meant for a terminal.
   * @defaultValue false
   */
  pretty?: boolean;
  /** Where lines go; a file descriptor. @defaultValue 1 (stdout) */
  destination?: number;
  /** Fixed fields on every line (for example `{ role: 'worker' }`). */
  base?: Record<string, unknown>;
}

/**
 * Builds the process's root logger. JSON lines by default (one object per line, ISO timestamps),
 * pretty-printed when asked (the CLI asks when stdout is a TTY).
 */
export function createLogger(options: LogOptions = {}): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { pid: process.pid, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (options.pretty === true) {
    return pino({
      ...pinoOptions,
      formatters: {},
      transport: {
        target: 'pino-pretty',
        options: {
          destination: options.destination ?? 1,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
        },
      },
    });
  }

  return pino(pinoOptions, pino.destination({ dest: options.destination ?? 1, sync: false }));
}

/** A logger that writes nothing, for library code under test that wants one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
