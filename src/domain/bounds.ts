/**
 * The bounds every value from outside is held to, in one place, so the API, the CLI, Segment and
 * the workflow (which validates each signal itself) agree, and the OpenAPI document shows them.
 * Why bounds at all: a sender must never be able to make one customer's workflow task slow, big or
 * failing (a 550 KB array of feature names once made a workflow task outlive the SDK's deadline).
 * Sandbox-safe: zod only.
 */
import { z } from 'zod';

export const LIMITS = {
  /** Ids: event ids (idempotency keys), ticket and stakeholder ids, respondents. */
  id: 200,
  /** Names: of customers, people, CSMs, segments. */
  name: 200,
  /** A line of text: a ticket subject, a success criterion, a goal. */
  line: 500,
  /** Free text: a survey comment, a note. */
  text: 5_000,
  /** Entries in a short list given at the handoff (success criteria, goals, objections, …). */
  listItems: 50,
  stakeholders: 100,
  /** Feature names in one usage roll-up; the definition's key features are a handful. */
  featuresPerEvent: 200,
  featureName: 100,
  /** Counts in one usage roll-up (logins, users, seats). */
  count: 10_000_000,
  /** ARR in the currency's units: below the database column's Decimal(14,2) limit of 1e12. */
  arr: 100_000_000_000,
  /** How far ahead of the receiver's clock an event may be dated (clock skew, time zones). */
  futureSkewMs: 24 * 60 * 60 * 1000,
  /** How long before the contract start an event may be dated (pre-sales trials, imports). */
  beforeContractStartMs: 365 * 24 * 60 * 60 * 1000,
  /**
   * A day count in a lifecycle definition (cooldowns, cadences, windows, SLAs, deadlines): ten years.
   * Unbounded, a typo such as 1e9 days passed validation and then made every customer on that
   * definition fail its step, a date beyond what `Date` can hold.
   */
  planDays: 3_650,
  /** A count in a lifecycle definition (how many runs, stakeholders, optional achievements). */
  planCount: 10_000,
  /** A lifecycle definition as JSON: each customer's history carries it at every run (the default is ~26 KB). */
  definitionBytes: 256 * 1024,
} as const;

/** A day count in a lifecycle definition: `min` or more (0 or a positive value), at most `LIMITS.planDays`. */
export function planDays(min: 0 | 'positive' = 0) {
  const days = min === 0 ? z.number().min(0) : z.number().positive();
  return days.max(LIMITS.planDays, `at most ${LIMITS.planDays} days`);
}

/** A whole-number count in a lifecycle definition, at most `LIMITS.planCount`. */
export const planCount = (min: 0 | 1) => z.number().int().min(min).max(LIMITS.planCount);

/** The earliest date any event or contract may carry; older ones are typos (0001-01-01). */
export const EARLIEST_DATE = '2000-01-01T00:00:00Z';

// A NUL cannot be stored in PostgreSQL text; a lone surrogate is not Unicode and breaks JSON and
// UTF-8 storage downstream. Both are refused where they arrive, naming the field.
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function textProblem(value: string): string | undefined {
  if (NUL.test(value)) return 'must not contain a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(value)) return 'must not contain an unpaired UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

/** A string of at most `max` characters (at least `min`, 1 by default) of storable Unicode. */
export function boundedText(max: number, min = 1) {
  return z
    .string()
    .min(min, min === 1 ? 'must not be empty' : `at least ${min} characters`)
    .max(max, `at most ${max} characters`)
    .superRefine((value, ctx) => {
      const problem = textProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe('Unicode text without NUL characters or unpaired surrogates');
}

/** An ISO-8601 date-time with an offset, not before 2000 and not more than a day ahead of now. */
export function boundedDate() {
  return z.iso
    .datetime({ offset: true })
    .superRefine((value, ctx) => {
      const at = Date.parse(value);
      if (at < Date.parse(EARLIEST_DATE)) ctx.addIssue({ code: 'custom', message: `must not be before ${EARLIEST_DATE.slice(0, 10)}` });
      // Date.now() is the workflow's own clock inside the sandbox: the same rule holds on replay.
      else if (at > Date.now() + LIMITS.futureSkewMs) ctx.addIssue({ code: 'custom', message: 'must not be more than a day in the future' });
    })
    .describe("ISO 8601 date-time with an offset; from 2000-01-01, at most a day ahead of the receiver's clock, and at most a year before the contract start");
}

/** A date on a contract (start, end, a moved end): it may lie years ahead, but not in another era. */
export function contractDate() {
  return z.iso
    .datetime({ offset: true })
    .superRefine((value, ctx) => {
      const at = Date.parse(value);
      if (at < Date.parse(EARLIEST_DATE)) ctx.addIssue({ code: 'custom', message: `must not be before ${EARLIEST_DATE.slice(0, 10)}` });
      else if (at > Date.parse('2200-01-01T00:00:00Z')) ctx.addIssue({ code: 'custom', message: 'must be before 2200-01-01' });
    })
    .describe('ISO 8601 date-time with an offset, between 2000-01-01 and 2200-01-01');
}

/**
 * `text` made storable, for what the engine writes itself from a sender's input (a rejection's
 * reason can quote a key as sent): NUL and unpaired surrogates escaped, cut to `max` code points.
 */
export function storableText(text: string, max: number): string {
  const escaped = text.replace(new RegExp(NUL.source, 'g'), '\\u0000').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
  const points = Array.from(escaped);
  return points.length <= max ? escaped : `${points.slice(0, max - 1).join('')}…`;
}
