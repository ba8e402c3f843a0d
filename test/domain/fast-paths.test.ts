/**
 * The simulator's speed-ups must not change what the domain decides: the workflow runs the same
 * code, and customers already running replay their histories through it. Each fast path here is
 * checked against the slow one it replaced, over seeded random inputs:
 *   - `metricsSampler` (and `computeMetrics`, which is it at one instant) against the rescan it
 *     replaced, copied below as the reference: same keys, same order, same values to the bit;
 *   - the parsed login days kept per `dailyLogins` record against a fresh parse, after random
 *     sequences of events that add and prune days;
 *   - the memoised `instantOf` / `isoPlusDays` against `Date.parse` / `toISOString`;
 *   - the step with the simulator's options (`effects: 'outcomes'`, `nextStepBy`) against the
 *     step as the workflow calls it, over benchmark customer-years;
 *   - compaction with its oldest-first index against a scan of every remembered id, through times
 *     out of order, a record read back from carried state and a time that does not parse;
 *   - the batch's causes with the exits judged lazily (`settleCauses`) against a judgement after
 *     every event, over weekly batches of benchmark customer-years;
 *   - two simulations sharing one memo of admitted events (as a backtest runs them) against each
 *     simulated on its own;
 *   - the simulator telling the step when its next event comes and whether it brings news against
 *     a simulator that tells it nothing, over sparse customer-years whose repeats arrive alone.
 */
import { handoffFor, profile, yearPlan } from '../../src/bench/customer-year';
import type { TCustomerEvent } from '../../src/domain/customer-events';
import { applyEvent, loginDays, type CustomerFacts } from '../../src/domain/customer-facts';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { rememberedAdmissions } from '../../src/domain/event-admission';
import { healthTrend } from '../../src/domain/health';
import { instantOf, isoPlusDays } from '../../src/domain/instants';
import {
  acceptEventId,
  applyCustomerEvent,
  compact,
  emptyChanges,
  fireTimer,
  initialState,
  noteCause,
  settleCauses,
  trackCauses,
  type Cause,
  type LifecycleState,
} from '../../src/domain/lifecycle-state';
import { lifecycleStep, nothingPublished, type StepInput, type StepResult } from '../../src/domain/lifecycle-step';
import { computeMetrics, metricsSampler, type MetricContext, type Metrics } from '../../src/domain/metrics';
import type { TLifecycleDefinition } from '../../src/domain/lifecycle-definition';
import type { Scenario } from '../../src/simulate/scenario';
import { simulate } from '../../src/simulate/simulator';
import { seededRandom } from '../../src/util/seeded-random';
import { addDays, DAY_MS, facts } from './fixtures';

/** A benchmark customer-year's events (`customer-year.ts`), oldest first. */
const yearEvents = (customer: ReturnType<typeof profile>, startMs: number) =>
  yearPlan(customer, startMs)
    .flat()
    .sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));

/** `computeMetrics` as it was before the sampler: every instant re-scans the facts. */
function referenceMetrics(facts: CustomerFacts, ctx: MetricContext): Metrics {
  const daysBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY_MS;
  const now = Date.parse(ctx.now);
  const metrics: Metrics = {
    daysSinceStart: Math.max(0, daysBetween(facts.contractStart, ctx.now)),
    daysInStage: Math.max(0, daysBetween(ctx.stageEnteredAt, ctx.now)),
    daysToRenewal: daysBetween(ctx.now, facts.contractEnd),
    openTickets: Object.keys(facts.openTickets).length,
    openHighSeverityTickets: Object.values(facts.openTickets).filter((t) => t.severity === 'high' || t.severity === 'urgent').length,
    highSeverityTickets60d: facts.highSeverityOpenedAt.filter((at) => now - Date.parse(at) <= 60 * DAY_MS).length,
    championPresent: Object.values(facts.stakeholders).some((s) => s.role === 'champion') ? 1 : 0,
    paymentCurrent: facts.payment === 'current' ? 1 : 0,
    hasLoggedIn: facts.lastLoginAt ? 1 : 0,
    outcomesAchieved: ctx.outcomeMilestones.filter((m) => facts.milestones[m]).length,
    healthScore: ctx.healthScore,
  };
  if (facts.engagementRecorded !== false) {
    metrics.stakeholdersEngaged = Object.values(facts.stakeholders).filter((s) => s.engaged).length;
    metrics.executiveSponsorEngaged = Object.values(facts.stakeholders).some((s) => s.role === 'executive_sponsor' && s.engaged) ? 1 : 0;
  }
  if (ctx.hardConditionsActive !== undefined) metrics.hardConditionsActive = ctx.hardConditionsActive;
  if (facts.championLeftAt) metrics.daysSinceChampionLeft = Math.max(0, daysBetween(facts.championLeftAt, ctx.now));
  if (facts.lastLoginAt) metrics.daysSinceLastLogin = Math.max(0, daysBetween(facts.lastLoginAt, ctx.now));
  if (facts.activeUsers !== undefined) metrics.activeUsers = facts.activeUsers;
  if (facts.seatsUsed !== undefined && facts.seatsPurchased) metrics.seatUtilization = facts.seatsUsed / facts.seatsPurchased;
  if (ctx.keyFeatures.length > 0 && (facts.keyFeaturesUsed.length > 0 || facts.lastLoginAt)) {
    metrics.keyFeatureAdoption = ctx.keyFeatures.filter((f) => facts.keyFeaturesUsed.includes(f)).length / ctx.keyFeatures.length;
  }
  let recent = 0;
  let previous = 0;
  for (const [day, logins] of Object.entries(facts.dailyLogins)) {
    const age = (now - Date.parse(`${day}T00:00:00Z`)) / DAY_MS;
    if (age < 30) recent += logins;
    else if (age < 60) previous += logins;
  }
  if (previous !== 0) metrics.loginTrend = (recent - previous) / previous;
  if (facts.surveys.nps) {
    metrics.nps = facts.surveys.nps.score;
    metrics.daysSinceNps = Math.max(0, daysBetween(facts.surveys.nps.at, ctx.now));
  }
  if (facts.surveys.csat) metrics.csat = facts.surveys.csat.score;
  if (facts.surveys.ces) metrics.ces = facts.surveys.ces.score;
  if (facts.csmSentiment) metrics.csmSentiment = facts.csmSentiment.score;
  return metrics;
}

/** Same keys in the same order, each value the same to the bit (NaN and -0 included). */
function expectIdentical(actual: Metrics, expected: Metrics): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const key of Object.keys(expected) as (keyof Metrics)[]) {
    if (!Object.is(actual[key], expected[key])) throw new Error(`${key}: ${actual[key]} !== ${expected[key]}`);
  }
}

const START = '2026-01-05T09:00:00.000Z';
const FEATURES = ['dashboards', 'reports', 'alerts', 'api'];

/** Random facts: login days (fractional counts too), tickets, stakeholders, surveys, dates, some unparsable. */
function randomFacts(rand: () => number): CustomerFacts {
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)]!;
  const at = (fromDays: number, spanDays: number) => addDays(START, fromDays + rand() * spanDays);
  const dailyLogins: Record<string, number> = {};
  for (let i = Math.floor(rand() * 80); i > 0; i -= 1) {
    dailyLogins[at(0, 200).slice(0, 10)] = rand() < 0.1 ? rand() * 10 : Math.floor(rand() * 500);
  }
  if (rand() < 0.1) dailyLogins['not-a-day'] = 3;
  const openTickets: CustomerFacts['openTickets'] = {};
  for (let i = Math.floor(rand() * 5); i > 0; i -= 1) openTickets[`T-${i}`] = { severity: pick(['low', 'medium', 'high', 'urgent']), openedAt: at(0, 200) };
  const optional = <T>(value: T) => (rand() < 0.5 ? value : undefined);
  return facts({
    contractStart: START,
    contractEnd: at(300, 100),
    dailyLogins,
    openTickets,
    highSeverityOpenedAt: Array.from({ length: Math.floor(rand() * 4) }, () => at(0, 200)),
    stakeholders: Object.fromEntries(
      Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [
        `s${i}`,
        { id: `s${i}`, name: `S${i}`, role: pick(['champion', 'executive_sponsor', 'other']), engaged: rand() < 0.5, addedAt: START },
      ]),
    ),
    ...(rand() < 0.5 ? { engagementRecorded: rand() < 0.5 } : {}),
    payment: pick(['current', 'late', 'failed'] as const),
    lastLoginAt: optional(at(0, 200)),
    championLeftAt: optional(at(0, 200)),
    activeUsers: optional(Math.floor(rand() * 100)),
    seatsUsed: optional(Math.floor(rand() * 100)),
    seatsPurchased: optional(pick([0, 50, 100])),
    keyFeaturesUsed: FEATURES.filter(() => rand() < 0.5),
    milestones: rand() < 0.5 ? { first_value: at(0, 100) } : {},
    surveys: {
      ...(rand() < 0.5 ? { nps: { score: Math.floor(rand() * 11), at: at(0, 200) } } : {}),
      ...(rand() < 0.5 ? { csat: { score: 1 + rand() * 4, at: at(0, 200) } } : {}),
      ...(rand() < 0.2 ? { ces: { score: 1 + rand() * 6, at: at(0, 200) } } : {}),
    },
    ...(rand() < 0.3 ? { csmSentiment: { score: 1 + Math.floor(rand() * 5), at: at(0, 200), by: 'csm' } } : {}),
  });
}

describe('metricsSampler: the same metrics as the rescan it replaced', () => {
  it.each(Array.from({ length: 40 }, (_, seed) => seed))('random facts %i, at thirty random instants', (seed) => {
    const rand = seededRandom(seed + 1);
    const f = randomFacts(rand);
    const ctx = {
      stageEnteredAt: addDays(START, rand() * 100),
      keyFeatures: rand() < 0.8 ? FEATURES : [],
      outcomeMilestones: ['first_value'],
      ...(rand() < 0.5 ? { healthScore: rand() * 100 } : {}),
      ...(rand() < 0.5 ? { hardConditionsActive: Math.floor(rand() * 3) } : {}),
    };
    const sample = metricsSampler(f, ctx);
    for (let i = 0; i < 30; i += 1) {
      // Whole days, day boundaries and the 30/60-day window edges get hit as well as random instants.
      const now =
        rand() < 0.5 ? addDays(START, rand() * 400) : addDays(`${addDays(START, Math.floor(rand() * 260)).slice(0, 10)}T00:00:00.000Z`, pick30or60(rand));
      const expected = referenceMetrics(f, { ...ctx, now });
      expectIdentical(sample(now), expected);
      expectIdentical(computeMetrics(f, { ...ctx, now }), expected);
    }
  });
});

/** 30 or 60 days, exactly or a millisecond either side. */
const pick30or60 = (rand: () => number) => (rand() < 0.5 ? 30 : 60) + [-1, 0, 1][Math.floor(rand() * 3)]! / DAY_MS;

describe('the parsed login days follow the record through the events that change it', () => {
  it.each(Array.from({ length: 20 }, (_, seed) => seed))('random event sequence %i', (seed) => {
    const rand = seededRandom(1_000 + seed);
    const f = facts({ contractStart: START, dailyLogins: {} });
    let clock = Date.parse(START);
    for (let i = 0; i < 300; i += 1) {
      clock += rand() * 2 * DAY_MS;
      const now = new Date(clock).toISOString();
      // Some events dated back, some ahead, so days are added, summed into and pruned out of order.
      const occurredAt = new Date(clock + (rand() - 0.7) * 20 * DAY_MS).toISOString();
      const event: TCustomerEvent =
        rand() < 0.8
          ? { id: `u${i}`, type: 'usage', occurredAt, logins: Math.floor(rand() * 50), keyFeaturesUsed: [] }
          : { id: `t${i}`, type: 'ticket', ticketId: `T${i}`, action: 'opened', severity: 'high', occurredAt };
      // Read before the change too: a kept parse that the change failed to drop would show after it.
      loginDays(f.dailyLogins);
      applyEvent(f, event, rand() < 0.8 ? { now } : {});
      const kept = loginDays(f.dailyLogins);
      const entries = Object.entries(f.dailyLogins);
      expect(kept.days).toEqual(entries.map(([day]) => day));
      expect(kept.logins).toEqual(entries.map(([, logins]) => logins));
      expect(kept.starts).toEqual(entries.map(([day]) => Date.parse(`${day}T00:00:00Z`)));
    }
  });
});

describe('remembered date arithmetic is Date arithmetic', () => {
  const samples = [
    START,
    '2026-02-29T00:00:00.000Z',
    '2028-02-29T23:59:59.999Z',
    '2026-03-01',
    '2026-03-01T10:00:00+02:00',
    'not a date',
    '',
    ...Array.from({ length: 200 }, (_, i) => addDays(START, (seededRandom(7)() + i) * 3.7 - 300)),
  ];
  it('instantOf is Date.parse, the first time and when remembered', () => {
    for (const text of samples) {
      expect([text, Object.is(instantOf(text), Date.parse(text))]).toEqual([text, true]);
      expect([text, Object.is(instantOf(text), Date.parse(text))]).toEqual([text, true]);
    }
  });
  it('isoPlusDays is toISOString of the sum, the first time and when remembered', () => {
    for (const iso of samples.filter((s) => !Number.isNaN(Date.parse(s)))) {
      for (const days of [0, 1, -1, 0.5, 30, -45, 365, 1, 0.5]) {
        expect([iso, days, isoPlusDays(iso, days)]).toEqual([iso, days, new Date(Date.parse(iso) + days * DAY_MS).toISOString()]);
      }
    }
  });
  it('throws for a date it cannot write, as toISOString does', () => {
    expect(() => isoPlusDays('not a date', 1)).toThrow(RangeError);
  });
});

describe("the step with the simulator's options decides what the workflow's step decides", () => {
  const startMs = Date.parse(START);
  /** One customer-year, every event at its own time, through two states side by side. */
  function compareYear(index: number): number {
    const customer = profile(index, 'fast');
    const events = yearEvents(customer, startMs);
    const definition = DEFAULT_LIFECYCLE;
    const slow = initialState(handoffFor(customer, startMs), definition, START);
    const fast = initialState(handoffFor(customer, startMs), definition, START);
    let slowPublished = nothingPublished();
    let fastPublished = nothingPublished();
    const workflowId = `customer:${customer.customerId}`;
    let next = 0;
    let wake: StepResult['wake'];
    let compared = 0;
    const step = (at: number, input: Partial<StepInput>) => {
      const full = { now: new Date(at).toISOString(), arrivals: [], droppedArrivals: 0, finishedPlays: [], updates: [], timeReached: false, ...input };
      const realNow = Date.now;
      Date.now = () => at;
      try {
        const a = lifecycleStep(slow, definition, full, slowPublished, { workflowId });
        const nextStepBy = new Date(Date.parse(events[next]?.occurredAt ?? new Date(startMs + 400 * DAY_MS).toISOString())).toISOString();
        const b = lifecycleStep(fast, definition, full, fastPublished, { workflowId, effects: 'outcomes', nextStepBy });
        slowPublished = a.published;
        fastPublished = b.published;
        expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
        expect(JSON.stringify(b.write)).toBe(JSON.stringify(a.write));
        expect(JSON.stringify(b.plays)).toBe(JSON.stringify(a.plays));
        expect(b.evaluated).toBe(a.evaluated);
        expect(b.published.row).toEqual(a.published.row);
        // The wake-up is the workflow's whenever it comes before the next step; after it, it is re-planned then.
        if (a.wake && Date.parse(a.wake.at) <= Date.parse(nextStepBy)) expect(b.wake).toEqual(a.wake);
        else expect(!b.wake || Date.parse(b.wake.at) > Date.parse(nextStepBy)).toBe(true);
        compared += 1;
        return a;
      } finally {
        Date.now = realNow;
      }
    };
    wake = step(startMs, { handoff: true }).wake;
    const end = startMs + 400 * DAY_MS;
    for (;;) {
      const eventAt = next < events.length ? Date.parse(events[next]!.occurredAt) : Infinity;
      const wakeAt = wake ? Date.parse(wake.at) : Infinity;
      const at = Math.min(eventAt, wakeAt);
      if (at > end) break;
      const arrivals: unknown[] = [];
      while (next < events.length && Date.parse(events[next]!.occurredAt) <= at) arrivals.push(events[next++]);
      wake = step(at, { arrivals, timeReached: wakeAt <= at }).wake;
    }
    return compared;
  }

  it.each([0, 3, 6, 9])('benchmark customer %i, a year of daily steps', (index) => {
    expect(compareYear(index)).toBeGreaterThan(300);
  });
});

describe('compaction drops what a scan of every remembered id would drop', () => {
  /** `compact` as it was: every id's time parsed and compared at every step. */
  function referenceCompact(state: LifecycleState, now: string): void {
    const eventCutoff = Date.parse(now) - DEFAULT_LIFECYCLE.eventDedupWindowDays * DAY_MS;
    for (const id of Object.keys(state.seenEventIds)) if (Date.parse(state.seenEventIds[id]!) < eventCutoff) delete state.seenEventIds[id];
    const timerCutoff = Date.parse(now) - 400 * DAY_MS;
    for (const id of Object.keys(state.firedTimers)) if (Date.parse(state.firedTimers[id]!) < timerCutoff) delete state.firedTimers[id];
  }

  it.each(Array.from({ length: 20 }, (_, seed) => seed))('random sequence %i', (seed) => {
    const random = seededRandom(seed + 7);
    const handoffAt = Date.parse(START);
    const fresh = () => initialState(handoffFor(profile(seed, 'compact'), handoffAt), DEFAULT_LIFECYCLE, START);
    let fast = fresh();
    const slow = fresh();
    let clock = handoffAt;
    for (let i = 0; i < 1_500; i += 1) {
      // Mostly forward in time, now and then back (a workflow clock never goes back; the index must not rely on it).
      clock += random() < 0.1 ? -Math.floor(random() * 3 * DAY_MS) : Math.floor(random() * DAY_MS);
      const now = new Date(clock).toISOString();
      const roll = random();
      if (roll < 0.6) {
        const id = random() < 0.05 ? String(Math.floor(random() * 50)) : `e-${Math.floor(random() * 2_000)}`;
        expect(acceptEventId(fast, id, now)).toBe(acceptEventId(slow, id, now));
      } else if (roll < 0.8) {
        const timer = { id: `timer-${Math.floor(random() * 300)}`, kind: 'qbr' as const, at: now, label: 'a timer' };
        if (fast.firedTimers[timer.id] === undefined) {
          fireTimer(fast, timer, now, emptyChanges());
          fireTimer(slow, timer, now, emptyChanges());
        }
      } else if (roll < 0.82) {
        // Continue-as-new: the state comes back as a copy the index has never seen.
        fast = JSON.parse(JSON.stringify(fast)) as LifecycleState;
      } else if (roll < 0.83) {
        fast.seenEventIds['not-a-date'] = 'yesterday';
        slow.seenEventIds['not-a-date'] = 'yesterday';
      }
      compact(fast, DEFAULT_LIFECYCLE, now);
      referenceCompact(slow, now);
      expect(JSON.stringify(fast.seenEventIds)).toBe(JSON.stringify(slow.seenEventIds));
      expect(JSON.stringify(fast.firedTimers)).toBe(JSON.stringify(slow.firedTimers));
    }
  });
});

describe('the causes of a batch are the same when exits are judged only where they can matter', () => {
  it.each([1, 4, 8])('benchmark customer %i, its events in weekly batches', (index) => {
    const startMs = Date.parse(START);
    const customer = profile(index, 'causes');
    const events = yearEvents(customer, startMs);
    const state = initialState(handoffFor(customer, startMs), DEFAULT_LIFECYCLE, START);
    let compared = 0;
    for (let week = 0; week < 53; week += 1) {
      const batch = events.filter((e) => Math.floor((Date.parse(e.occurredAt) - startMs) / (7 * DAY_MS)) === week);
      if (batch.length === 0) continue;
      const now = batch[batch.length - 1]!.occurredAt;
      const wokenBy: Cause = { type: 'rule', id: 'health_check' };
      // Reference: exits judged after every event. The lazy way: judged before the next event, and
      // after the last only where it can change a move's cause.
      const reference = trackCauses(state, DEFAULT_LIFECYCLE, now, wokenBy);
      const lazy = trackCauses(state, DEFAULT_LIFECYCLE, now, wokenBy);
      let last: Cause | undefined;
      for (const event of batch) {
        if (!acceptEventId(state, event.id, now)) continue;
        if (last) noteCause(lazy, state, DEFAULT_LIFECYCLE, now, last);
        applyCustomerEvent(state, event, emptyChanges(), { now, engagementNeedsEvidence: true });
        last = { type: 'event', id: event.id, eventType: event.type };
        noteCause(reference, state, DEFAULT_LIFECYCLE, now, last);
      }
      if (!last) continue;
      settleCauses(lazy, state, DEFAULT_LIFECYCLE, now, last);
      // A move takes the tracked cause, else the step's cause: the batch's last event.
      for (const stage of DEFAULT_LIFECYCLE.stages) expect(lazy.readiedBy[stage.id] ?? last).toEqual(reference.readiedBy[stage.id] ?? last);
      compared += 1;
    }
    expect(compared).toBeGreaterThan(40);
  });
});

describe('simulations sharing remembered admissions simulate what each does alone', () => {
  const stricter: TLifecycleDefinition = {
    ...DEFAULT_LIFECYCLE,
    version: 'stricter',
    healthModels: DEFAULT_LIFECYCLE.healthModels.map((model) => ({ ...model, bands: { ...model.bands, yellow: 70 } })),
  };
  it.each([2, 5])('benchmark customer %i under the default and a stricter definition', (index) => {
    const startMs = Date.parse(START);
    const customer = profile(index, 'admit');
    const scenario: Scenario = {
      name: 'shared admissions',
      startMs,
      handoff: handoffFor(customer, startMs),
      events: yearEvents(customer, startMs).map((event) => ({ atMs: Date.parse(event.occurredAt), event })),
      expectations: [],
      untilDay: 365,
    };
    const admit = rememberedAdmissions();
    const outputs = (definition: TLifecycleDefinition, shared: boolean) => {
      const { scenario: _scenario, ...simulation } = simulate(scenario, definition, shared ? { admit } : {});
      return JSON.stringify({ ...simulation, snapshots: [...simulation.snapshots] });
    };
    const sharedRuns = [outputs(DEFAULT_LIFECYCLE, true), outputs(stricter, true)];
    expect(sharedRuns).toEqual([outputs(DEFAULT_LIFECYCLE, false), outputs(stricter, false)]);
  });
});

describe("the simulator's look-ahead changes nothing the customer does", () => {
  it.each([0, 3, 7])('benchmark customer %i, weekly events each sent again on each day after', (index) => {
    const startMs = Date.parse(START);
    const customer = profile(index, 'ahead');
    // Sparse (a week between events), each sent again on each of the six days after: a repeat alone
    // is a step of its own, whole days after the evaluation before it, exactly where a health check
    // with nothing new comes due; a check a look-ahead wrongly left out would be missed there.
    const weekly = yearEvents(customer, startMs)
      .filter((event) => Math.floor((Date.parse(event.occurredAt) - startMs) / DAY_MS) % 7 === 0)
      .map((event) => ({ atMs: Date.parse(event.occurredAt), event }));
    const events = weekly
      .flatMap((item) => [item, ...[1, 2, 3, 4, 5, 6].map((days) => ({ atMs: item.atMs + days * DAY_MS, event: item.event }))])
      .sort((a, b) => a.atMs - b.atMs);
    const scenario: Scenario = { name: 'look-ahead', startMs, handoff: handoffFor(customer, startMs), events, expectations: [], untilDay: 365 };
    const outputs = (lookahead: boolean) => {
      const { scenario: _scenario, steps: _steps, ...simulation } = simulate(scenario, DEFAULT_LIFECYCLE, { lookahead });
      return JSON.stringify({ ...simulation, snapshots: [...simulation.snapshots] });
    };
    expect(outputs(true)).toBe(outputs(false));
  });
});

describe('the health trend searched in an ordered history is the one found by a scan', () => {
  it.each(Array.from({ length: 10 }, (_, seed) => seed))('random history %i', (seed) => {
    const random = seededRandom(seed + 31);
    let clock = Date.parse(START);
    const history: { at: string; score: number }[] = [];
    for (let i = 0; i < 400; i += 1) {
      clock += Math.floor(random() * DAY_MS);
      history.push({ at: new Date(clock).toISOString(), score: Math.floor(random() * 100) });
    }
    const model = { trendThreshold: 5, trendWindowDays: 30 };
    for (let probe = 0; probe < 60; probe += 1) {
      const now = new Date(Date.parse(START) + random() * (clock - Date.parse(START) + 40 * DAY_MS)).toISOString();
      const current = Math.floor(random() * 100);
      expect(healthTrend(history, current, now, model, true)).toBe(healthTrend(history, current, now, model));
    }
  });
});
