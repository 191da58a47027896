/**
 * What can stop a client command, each with the exit code scripts can test for. The message is
 * all the user sees: one line, the API's own words where the API refused.
 */
export const EXIT = {
  /** The API refused the request (a 4xx or 5xx fault). */
  refused: 1,
  /** Bad arguments or local configuration. */
  usage: 2,
  /** No credentials, a wrong password, or an expired login. */
  auth: 3,
  /** The server could not be reached. */
  unreachable: 4,
  /** `--wait` saw the operation end in ERROR or FAILED. */
  failed: 5,
  /** `--wait` ran out of time. */
  timeout: 6,
} as const;

export class ClientError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** A fault the API answered with: its status and the message of Trove's fault body. */
export class ApiRefusal extends ClientError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message, status === 401 ? EXIT.auth : EXIT.refused);
  }
}

export const usageError = (message: string) => new ClientError(message, EXIT.usage);
