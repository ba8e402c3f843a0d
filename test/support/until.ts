/**
 * Polls `probe` until it returns something truthy, and returns that. A probe that throws (a
 * customer still starting, a row not there yet) counts as "not yet"; at the deadline the error
 * names what was awaited and the probe's last error. Generous by default: a busy 2-core machine
 * runs two test files, their workers and servers at once.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${describe(lastError)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An error with its causes: a Temporal ServiceError says what failed only in its gRPC cause. */
function describe(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth += 1) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  }
  return parts.join(' <- ');
}
