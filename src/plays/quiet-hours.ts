/**
 * When customer-facing email may go out: quiet hours in the customer's time zone. Pure given the
 * time passed in (Intl is deterministic and available in the workflow sandbox).
 */
import type { TPlaySettings } from './definition';

const HOUR_MS = 60 * 60 * 1000;

function localClock(atMs: number, timezone: string): { hour: number; minute: number; weekday: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    hour: 'numeric',
    minute: 'numeric',
    weekday: 'short',
  }).formatToParts(new Date(atMs));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '0';
  return { hour: Number(part('hour')) % 24, minute: Number(part('minute')), weekday: part('weekday') };
}

function isQuiet(atMs: number, timezone: string, quiet: TPlaySettings['quietHours']): boolean {
  const { hour, weekday } = localClock(atMs, timezone);
  if (quiet.weekends && (weekday === 'Sat' || weekday === 'Sun')) return true;
  return quiet.fromHour > quiet.toHour
    ? hour >= quiet.fromHour || hour < quiet.toHour // over midnight, e.g. 20 -> 8
    : hour >= quiet.fromHour && hour < quiet.toHour;
}

/** Milliseconds until customer-facing email may go out (0 = now), in the customer's time zone. */
export function quietHoursDelayMs(nowMs: number, timezone: string, quiet: TPlaySettings['quietHours']): number {
  if (!isQuiet(nowMs, timezone, quiet)) return 0;
  // Step through the customer's local hours (a weekend plus a night is under 72 of them).
  const { minute } = localClock(nowMs, timezone);
  const hourStart = nowMs - (nowMs % 60_000) - minute * 60_000;
  for (let k = 1; k <= 80; k += 1) {
    const candidate = hourStart + k * HOUR_MS;
    if (!isQuiet(candidate, timezone, quiet)) return candidate - nowMs;
  }
  return 0; // quiet around the clock is a definition error; send rather than hold forever
}
