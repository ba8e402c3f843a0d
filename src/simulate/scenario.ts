/**
 * A scenario: one customer's story written as data (a YAML or JSON file), with what it should lead
 * to. The customer takes the handoff fields of `POST /v1/customers` and each event exactly the
 * event schemas of `POST /v1/events`; only time is written differently — `day` (or `every`/`from`/
 * `to`, with an optional `at: "14:30"`) instead of `occurredAt`, and `day N` in any date field — so
 * a story reads as days, not timestamps, and runs the same whenever it is run.
 *
 * Day N is the UTC calendar date N days after `start`; an event without `at` happens at `start`'s
 * time of day. This module turns a parsed document into concrete handoff and events (validated with
 * the API's own schemas) or into every problem with its field path. Pure: no I/O, no clock.
 */
import { z } from 'zod';
import { boundedText, LIMITS } from '../domain/bounds';
import { ZHealthBand, ZStageId } from '../domain/conditions';
import { ZCustomerEvent, ZCustomerHandoff, type TCustomerEvent, type TCustomerHandoff } from '../domain/customer-events';
import { atSimulatedTime } from './clock';

export const DAY_MS = 24 * 60 * 60 * 1000;
/** Day 0 when a scenario names no start: fixed, so a run is reproducible. */
export const DEFAULT_START = '2026-01-05T09:00:00.000Z';
/** How far a scenario may run, and how many events and expectations it may hold. */
export const SCENARIO_LIMITS = { days: 3_660, events: 2_000, expandedEvents: 50_000, expectations: 500 } as const;

/** The fields that hold a date, in the handoff or an event: each may be written `day N`. */
const DATE_FIELDS = new Set(['contractStart', 'contractEnd', 'occurredAt', 'lastLoginAt']);
const DAY_TEXT = /^day\s+(-?\d{1,4})(?:\s+at\s+([01]\d|2[0-3]):([0-5]\d))?$/;
const ZClock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as "HH:MM" (UTC)');
const ZDay = z.number().int().min(0).max(SCENARIO_LIMITS.days);
const ZDayText = z.string().regex(DAY_TEXT, 'a day as "day N"');

/** `until: day 400` or `until: 400`. */
const ZUntil = z.union([ZDay, ZDayText.transform((text) => Number(DAY_TEXT.exec(text)![1]))]).pipe(ZDay.min(1));

const ZPlayIds = z.array(boundedText(LIMITS.id)).max(100);

/**
 * One expectation: each key besides `day` is a check of its own. A check with a `day` holds on that
 * day (the end of it); `stages`, `plays` and `timeline` mean "by that day", or by the end without one.
 * `timeline.includes` / `excludes` look for a text in the summaries of the timeline's entries.
 */
export const ZExpectation = z
  .object({
    day: ZDay.optional(),
    stage: ZStageId.optional(),
    band: ZHealthBand.optional(),
    score: z
      .object({ min: z.number().min(0).max(100).optional(), max: z.number().min(0).max(100).optional() })
      .strict()
      .refine((s) => s.min !== undefined || s.max !== undefined, 'give min, max or both')
      .optional(),
    sla: z.enum(['on_track', 'behind', 'stuck']).optional(),
    /** The stage path, in order, from onboarding. */
    stages: z.array(ZStageId).min(1).max(50).optional(),
    plays: z.object({ started: ZPlayIds.optional(), notStarted: ZPlayIds.optional() }).strict().optional(),
    timeline: z
      .object({ includes: boundedText(LIMITS.line).optional(), excludes: boundedText(LIMITS.line).optional() })
      .strict()
      .refine((t) => t.includes !== undefined || t.excludes !== undefined, 'give includes, excludes or both')
      .optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    const checks = (['stage', 'band', 'score', 'sla', 'stages', 'plays', 'timeline'] as const).filter((k) => e[k] !== undefined);
    if (checks.length === 0) ctx.addIssue({ code: 'custom', message: 'an expectation needs a check: stage, band, score, sla, stages, plays or timeline' });
    for (const key of ['stage', 'band', 'score', 'sla'] as const) {
      if (e[key] !== undefined && e.day === undefined) ctx.addIssue({ code: 'custom', message: `${key} holds on a day: give "day"`, path: [key] });
    }
  });
export type TExpectation = z.infer<typeof ZExpectation>;

/** The document's outline; the customer and the events are checked field by field afterwards. */
const ZScenarioOutline = z
  .object({
    name: boundedText(LIMITS.name),
    description: boundedText(LIMITS.text).optional(),
    /** `default`, a module path (relative to the scenario file), or omitted: the current definition. */
    definition: boundedText(1_000).optional(),
    start: z.iso.datetime({ offset: true }).optional(),
    customer: z.record(z.string(), z.unknown()),
    events: z.array(z.record(z.string(), z.unknown())).max(SCENARIO_LIMITS.events).default([]),
    expect: z.array(z.unknown()).max(SCENARIO_LIMITS.expectations).default([]),
    until: ZUntil.optional(),
  })
  .strict();

/** When an event happens: one day, every n days over a range, or an `occurredAt` as given. */
const ZTiming = z
  .object({
    day: ZDay.optional(),
    every: z.number().int().min(1).max(SCENARIO_LIMITS.days).optional(),
    from: ZDay.optional(),
    to: ZDay.optional(),
    at: ZClock.optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.every !== undefined) {
      if (t.day !== undefined) ctx.addIssue({ code: 'custom', message: 'give "day" or "every", not both', path: ['day'] });
      if (t.from === undefined || t.to === undefined) ctx.addIssue({ code: 'custom', message: '"every" needs "from" and "to"', path: ['every'] });
      else if (t.to < t.from) ctx.addIssue({ code: 'custom', message: '"to" must not be before "from"', path: ['to'] });
    } else if (t.from !== undefined || t.to !== undefined) {
      ctx.addIssue({ code: 'custom', message: '"from" and "to" go with "every"', path: [t.from !== undefined ? 'from' : 'to'] });
    }
  });

export interface ScenarioEvent {
  /** When it is delivered: its `occurredAt`. */
  atMs: number;
  event: TCustomerEvent;
}

export interface Scenario {
  name: string;
  description?: string;
  definition?: string;
  startMs: number;
  handoff: TCustomerHandoff;
  /** In delivery order (by time, then as written). */
  events: ScenarioEvent[];
  expectations: TExpectation[];
  /** The last day simulated (its end). */
  untilDay: number;
}

export interface ScenarioIssue {
  path: (string | number)[];
  message: string;
}

export type ScenarioParse = { ok: true; scenario: Scenario } | { ok: false; issues: ScenarioIssue[] };

/** The instant of day `day` at `clock` ("HH:MM"), or at the start's time of day. */
export function dayToMs(startMs: number, day: number, clock?: string): number {
  const at = startMs + day * DAY_MS;
  if (!clock) return at;
  const [hours, minutes] = clock.split(':').map(Number) as [number, number];
  return at - (at % DAY_MS) + (hours * 60 + minutes) * 60_000;
}

/** The scenario day of an instant: calendar days (UTC) since the start's date. */
export const dayOf = (startMs: number, atMs: number): number => Math.floor(atMs / DAY_MS) - Math.floor(startMs / DAY_MS);
/** The first instant after day `day`. */
export const endOfDayMs = (startMs: number, day: number): number => (Math.floor(startMs / DAY_MS) + day + 1) * DAY_MS;

/**
 * Checks a parsed document and turns it into a scenario; every problem comes back at once, each
 * with its path (`events.3.logins`).
 */
export function parseScenario(document: unknown): ScenarioParse {
  const outline = ZScenarioOutline.safeParse(document);
  if (!outline.success) return { ok: false, issues: outline.error.issues.map(asIssue([])) };
  const raw = outline.data;
  const startMs = Date.parse(raw.start ?? DEFAULT_START);
  const issues: ScenarioIssue[] = [];

  const customerInput = convertDays({ contractStart: 'day 0', contractEnd: 'day 365', ...raw.customer }, startMs, ['customer'], issues);
  const handoff = ZCustomerHandoff.safeParse(customerInput);
  if (!handoff.success) issues.push(...handoff.error.issues.map(asIssue(['customer'])));

  const events: ScenarioEvent[] = [];
  let lastDay = 0;
  raw.events.forEach((written, index) => {
    const path = ['events', index];
    const { day, every, from, to, at, ...fields } = written;
    const timing = ZTiming.safeParse(Object.fromEntries(Object.entries({ day, every, from, to, at }).filter(([, v]) => v !== undefined)));
    if (!timing.success) {
      issues.push(...timing.error.issues.map(asIssue(path)));
      return;
    }
    const { customerId, ...eventFields } = fields;
    if (customerId !== undefined && handoff.success && customerId !== handoff.data.customerId) {
      issues.push({ path: [...path, 'customerId'], message: `not the scenario's customer (${handoff.data.customerId})` });
    }
    const when = timing.data;
    const given = eventFields.occurredAt !== undefined;
    if (given === (when.day !== undefined || when.every !== undefined)) {
      issues.push({
        path,
        message: given ? 'give "day"/"every" or "occurredAt", not both' : 'say when: "day", "every" (with "from" and "to") or "occurredAt"',
      });
      return;
    }
    const days = when.every !== undefined ? range(when.from!, when.to!, when.every) : when.day !== undefined ? [when.day] : [undefined];
    if (events.length + days.length > SCENARIO_LIMITS.expandedEvents) {
      issues.push({ path, message: `more than ${SCENARIO_LIMITS.expandedEvents} events in all` });
      return;
    }
    const converted = convertDays(eventFields, startMs, path, issues) as Record<string, unknown>;
    // One check of the first occurrence: a repeating event is wrong on every day or on none.
    let checked = false;
    for (const eventDay of days) {
      const occurredAt = eventDay === undefined ? converted.occurredAt : new Date(dayToMs(startMs, eventDay, when.at)).toISOString();
      const generatedId = `${String(converted.type ?? 'event')}:${index}${eventDay === undefined ? '' : `:day${eventDay}`}`;
      const id = converted.id === undefined ? generatedId : when.every !== undefined ? `${String(converted.id)}:day${eventDay}` : converted.id;
      // Checked as the engine would on delivery, at the event's own time: a story may lie in the future.
      const deliveredAt = typeof occurredAt === 'string' && !Number.isNaN(Date.parse(occurredAt)) ? Date.parse(occurredAt) : startMs;
      const parsed = atSimulatedTime(deliveredAt, () => ZCustomerEvent.safeParse({ ...converted, id, occurredAt }));
      if (!parsed.success) {
        if (!checked) issues.push(...parsed.error.issues.map(asIssue(path)));
        checked = true;
        continue;
      }
      checked = true;
      const atMs = Date.parse(parsed.data.occurredAt);
      lastDay = Math.max(lastDay, dayOf(startMs, atMs));
      events.push({ atMs, event: parsed.data });
    }
  });

  const expectations: TExpectation[] = [];
  raw.expect.forEach((written, index) => {
    const parsed = ZExpectation.safeParse(written);
    if (parsed.success) expectations.push(parsed.data);
    else issues.push(...parsed.error.issues.map(asIssue(['expect', index])));
  });
  const lastExpected = Math.max(0, ...expectations.map((e) => e.day ?? 0));
  const untilDay = raw.until ?? Math.max(lastDay, lastExpected);
  expectations.forEach((e, index) => {
    if (e.day !== undefined && e.day > untilDay) issues.push({ path: ['expect', index, 'day'], message: `after the scenario's end (day ${untilDay})` });
  });
  if (issues.length > 0 || !handoff.success) return { ok: false, issues };
  events.sort((a, b) => a.atMs - b.atMs); // stable: same instant keeps the written order
  return {
    ok: true,
    scenario: {
      name: raw.name,
      ...(raw.description !== undefined ? { description: raw.description } : {}),
      ...(raw.definition !== undefined ? { definition: raw.definition } : {}),
      startMs,
      handoff: handoff.data,
      events,
      expectations,
      untilDay,
    },
  };
}

/** `day N` (optionally `day N at HH:MM`) in a date field, anywhere in `value`, as an ISO date. */
function convertDays(value: unknown, startMs: number, path: (string | number)[], issues: ScenarioIssue[], key?: string): unknown {
  if (typeof value === 'string' && key !== undefined && DATE_FIELDS.has(key)) {
    const match = DAY_TEXT.exec(value.trim());
    if (match) return new Date(dayToMs(startMs, Number(match[1]), match[2] ? `${match[2]}:${match[3]}` : undefined)).toISOString();
    if (/^day\b/.test(value.trim())) issues.push({ path, message: 'write a day as "day N" or "day N at HH:MM"' });
    return value;
  }
  if (Array.isArray(value)) return value.map((item, index) => convertDays(item, startMs, [...path, index], issues));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertDays(v, startMs, [...path, k], issues, k)]));
  }
  return value;
}

function range(from: number, to: number, every: number): number[] {
  const days: number[] = [];
  for (let day = from; day <= to; day += every) days.push(day);
  return days;
}

const asIssue =
  (prefix: (string | number)[]) =>
  (issue: { path: PropertyKey[]; message: string }): ScenarioIssue => ({
    path: [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
    message: issue.message,
  });
