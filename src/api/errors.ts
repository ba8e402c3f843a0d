/**
 * The API's errors, told apart by `name` and mapped to HTTP once (in `app.ts`): what is wrong and
 * where, never internals.
 */
export interface ApiErrorOptions {
  /** Machine-readable facts for the caller (e.g. the unknown customer ids, whether events were recorded). */
  details?: Record<string, unknown>;
  /** Each problem with its field path, as a 422 from the schemas carries them. */
  issues?: { path: string; message: string }[];
  /** Sent as `Retry-After`: the answer will change by itself (a server coming back, a customer starting). */
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  readonly details?: Record<string, unknown>;
  readonly issues?: { path: string; message: string }[];
  readonly retryAfterSeconds?: number;

  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 503,
    readonly code: string,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.details = options.details;
    this.issues = options.issues;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const isApiError = (error: unknown): error is ApiError => (error as Error | undefined)?.name === 'ApiError';
