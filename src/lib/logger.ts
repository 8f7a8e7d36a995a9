/**
 * Structured logging: one JSON object per line, with a level, a message and the fields of the context it
 * was made for (request id, run id, …). The only module that writes to the console (scripts/check-source.ts
 * enforces it); Workers Logs indexes the JSON fields.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines also carry `fields`. */
  child(fields: LogFields): Logger;
}

export type LogSink = (level: LogLevel, line: string) => void;

const consoleSink: LogSink = (level, line) => {
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
};

/** An Error as plain fields (name, message, stack); anything else as its string. */
export function errorFields(err: unknown): LogFields {
  return err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : { message: String(err) };
}

/**
 * One class rather than closures per logger: a request's context makes a child logger on every request, and
 * methods on the prototype cost nothing to create (the bundle names every closure it creates at run time).
 */
class JsonLogger implements Logger {
  constructor(
    private readonly base: LogFields,
    private readonly sink: LogSink,
  ) {}

  private write(level: LogLevel, msg: string, fields?: LogFields) {
    let line: string;
    try {
      line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...this.base, ...fields });
    } catch {
      line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...this.base, note: "fields not serialisable" });
    }
    this.sink(level, line);
  }

  debug(message: string, fields?: LogFields) {
    this.write("debug", message, fields);
  }
  info(message: string, fields?: LogFields) {
    this.write("info", message, fields);
  }
  warn(message: string, fields?: LogFields) {
    this.write("warn", message, fields);
  }
  error(message: string, fields?: LogFields) {
    this.write("error", message, fields);
  }
  child(fields: LogFields): Logger {
    return new JsonLogger({ ...this.base, ...fields }, this.sink);
  }
}

/**
 * @example
 * const log = createLogger({ requestId: "r-1" });
 * log.info("run claimed", { runId }); // {"level":"info","msg":"run claimed","time":"…","requestId":"r-1","runId":"…"}
 */
export function createLogger(base: LogFields = {}, sink: LogSink = consoleSink): Logger {
  return new JsonLogger(base, sink);
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = createLogger({}, () => {});
