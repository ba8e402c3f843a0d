/**
 * The API's errors, told apart by `name` and mapped to HTTP once (in `app.ts`): what is wrong and
 * where, never internals.
 */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 503,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isApiError = (error: unknown): error is ApiError => (error as Error | undefined)?.name === 'ApiError';
