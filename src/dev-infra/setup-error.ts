/**
 * Errors that stop start-up or the test run with one clear message and what to do about it.
 *
 * Provisioning talks to the outside world (Go proxy, Maven Central, apt, ports, databases); when one
 * of those fails the user needs a sentence and a remedy, not a stack trace. Everything in
 * `src/dev-infra` throws `SetupError` for conditions a user can fix, and the entry points print
 * `formatSetupError` and exit non-zero. Tell it apart by `name`, not `instanceof` (jest realms).
 */
export class SetupError extends Error {
  override readonly name = 'SetupError';
  constructor(
    message: string,
    /** What the user should do next, one or two sentences. */
    readonly remedy: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isSetupError(error: unknown): error is SetupError {
  return error instanceof Error && error.name === 'SetupError' && 'remedy' in error;
}

export function formatSetupError(error: SetupError): string {
  return `\n✖ ${error.message}\n  → ${error.remedy}\n`;
}
