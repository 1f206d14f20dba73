/**
 * Kernel logging: one Logger per booted instance, filtered by OCCLUM_LOG_LEVEL.
 *
 * Levels and aliases follow Occlum's LibOS: off (default), panic/fatal/error → error, warning/warn,
 * info, debug, trace; case-insensitive; an unknown value means off. At trace the syscall layer
 * prints every call strace-style (syscall/strace.ts).
 */

export const LogLevel = { off: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 } as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

const aliases: Record<string, LogLevel> = {
  off: LogLevel.off,
  panic: LogLevel.error, fatal: LogLevel.error, error: LogLevel.error,
  warning: LogLevel.warn, warn: LogLevel.warn,
  info: LogLevel.info, debug: LogLevel.debug, trace: LogLevel.trace,
};

/** Occlum's parsing of OCCLUM_LOG_LEVEL: unknown or empty → off. */
export function parseLogLevel(value: string | undefined): LogLevel {
  if (!value) return LogLevel.off;
  return aliases[value.trim().toLowerCase()] ?? LogLevel.off;
}

const levelTag = ["", "E", "W", "I", "D", "T"] as const;

export class Logger {
  readonly level: LogLevel;
  private readonly sink: (line: string) => void;

  constructor(level: LogLevel, sink: (line: string) => void = (line) => process.stderr.write(line)) {
    this.level = level;
    this.sink = sink;
  }

  static fromEnv(env: NodeJS.ProcessEnv = process.env, sink?: (line: string) => void): Logger {
    return new Logger(parseLogLevel(env.OCCLUM_LOG_LEVEL), sink);
  }

  enabled(level: LogLevel): boolean {
    return level <= this.level && level !== LogLevel.off;
  }

  error(msg: string): void { this.emit(LogLevel.error, msg); }
  warn(msg: string): void { this.emit(LogLevel.warn, msg); }
  info(msg: string): void { this.emit(LogLevel.info, msg); }
  debug(msg: string): void { this.emit(LogLevel.debug, msg); }
  trace(msg: string): void { this.emit(LogLevel.trace, msg); }

  private emit(level: LogLevel, msg: string): void {
    if (!this.enabled(level)) return;
    this.sink(`[${levelTag[level]}] ${msg}\n`);
  }

  /** Raw line at trace level (strace output has its own format). */
  traceRaw(line: string): void {
    if (this.level >= LogLevel.trace) this.sink(line + "\n");
  }
}
