/**
 * Progress lines for slow provisioning steps (a Go build, a Maven download, an apt install), so a
 * first run that takes minutes never looks hung. Writes to stderr to keep stdout for results.
 */
export function progress(message: string): void {
  process.stderr.write(`[setup] ${message}\n`);
}

/** Runs `work`, printing a heartbeat with elapsed seconds every `everyMs` until it settles. */
export async function withHeartbeat<T>(label: string, work: Promise<T>, everyMs = 15_000): Promise<T> {
  const started = Date.now();
  progress(`${label} …`);
  const timer = setInterval(() => progress(`${label} … still working (${Math.round((Date.now() - started) / 1000)} s)`), everyMs);
  try {
    const result = await work;
    progress(`${label}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  } finally {
    clearInterval(timer);
  }
}
