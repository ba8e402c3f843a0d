/**
 * Simulated time for code that reads the clock. Inside a workflow `Date.now()` is the workflow's
 * own clock, and a few rules read it there (an event dated more than a day past "now" is refused,
 * see `boundedDate`); the simulator runs those rules outside the sandbox, so it sets the clock to
 * the simulated instant for the length of one synchronous call and puts it back after.
 */
export function atSimulatedTime<T>(atMs: number, run: () => T): T {
  const realNow = Date.now;
  Date.now = () => atMs;
  try {
    return run();
  } finally {
    Date.now = realNow;
  }
}
