/**
 * `Date.parse`, remembered. The step reads the same stored times back at every activation — the
 * health history's ninety days, the remembered event ids, the fired timers — and parsing them
 * again each time was a tenth of a simulated step. The result is `Date.parse`'s, whatever the
 * memo holds, so it is safe to share between customers (and workflows in one sandbox). Bounded.
 * Sandbox-safe.
 */
const MAX_REMEMBERED = 16_384;
const parsed = new Map<string, number>();

/** `Date.parse(text)`: milliseconds since the epoch, NaN when the text is no date. */
export function instantOf(text: string): number {
  let at = parsed.get(text);
  if (at === undefined) {
    if (parsed.size >= MAX_REMEMBERED) parsed.clear();
    at = Date.parse(text);
    parsed.set(text, at);
  }
  return at;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const shifted = new Map<string, string>();

/**
 * `new Date(Date.parse(iso) + days * DAY_MS).toISOString()`, remembered: the timer plan derives the
 * same due dates from the same bases (contract start and end, last login, stage entry) at every
 * activation. Throws as `toISOString` does for a date out of range. Bounded.
 */
export function isoPlusDays(iso: string, days: number): string {
  const key = `${days}|${iso}`;
  let at = shifted.get(key);
  if (at === undefined) {
    at = new Date(instantOf(iso) + days * DAY_MS).toISOString();
    if (shifted.size >= MAX_REMEMBERED) shifted.clear();
    shifted.set(key, at);
  }
  return at;
}
