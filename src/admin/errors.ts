/** What went wrong, for the exit code and the `--json` error envelope. */
export type AdminErrorCode =
  | "usage"
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "configuration"
  | "database";

/**
 * A failure the admin CLI reports as a message and an exit code, never as a stack trace.
 * `usage` carries the usage lines to print after the message.
 *
 * @example
 * throw new AdminError("not_found", "No organization with slug 'acme'");
 */
export class AdminError extends Error {
  override readonly name = "AdminError";
  constructor(
    readonly code: AdminErrorCode,
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }

  /** 2 for bad invocations, 1 for everything else. */
  get exitCode(): number {
    return this.code === "usage" || this.code === "invalid_argument" ? 2 : 1;
  }
}
