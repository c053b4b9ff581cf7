/**
 * Errors the client raises: `ApiError` for a refusal by the server (its error body of
 * api-spec/errors.md), `NetworkError` when the request never got an answer. The split
 * matters for sends: a network error keeps a message queued, a refusal fails it.
 */

/** The server answered with an error body. */
export class ApiError extends Error {
  /** Stream error code (errors.md), e.g. 4 for bad input, 17 for not allowed. */
  readonly code: number;
  /** HTTP status. */
  readonly status: number;

  constructor(message: string, code: number, status: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }

  /** A send with a message id the server already has (endpoints.md §6.1: 400 code 4). */
  get isDuplicateMessage(): boolean {
    return this.status === 400 && this.code === 4 && /already exists/i.test(this.message);
  }
}

/** The request did not reach the server or its answer did not come back. */
export class NetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

/** The client is offline, so the request was not attempted. */
export class OfflineError extends NetworkError {
  constructor() {
    super('offline');
    this.name = 'OfflineError';
  }
}

export function isNetworkError(e: unknown): e is NetworkError {
  return e instanceof NetworkError;
}
