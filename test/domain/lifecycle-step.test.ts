/**
 * The lean step against a reference that re-judges the customer every day, over the lifecycle
 * benchmark's customer-years (its event volume and portfolio mix, faders included): both must
 * move stages, change bands and start plays on the same days, while the lean one wakes far less.
 * Pure: the step with simulated time, no servers.
 */
import { handoffFor, profile, sendAt, WEEKS, yearPlan } from '../../src/bench/customer-year';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { initialState, type LifecycleState } from '../../src/domain/lifecycle-state';
import { lifecycleStep, nothingPublished, type StepInput } from '../../src/domain/lifecycle-step';
import { nextHealthCheck } from '../../src/domain/next-change';

const DAY = 24 * 60 * 60 * 1000;
const START = Date.parse('2026-01-05T09:00:00.000Z');

interface Story {
  stageMoves: string[];
  bandChanges: string[];
  plays: string[];
  steps: number;
  state: LifecycleState;
}

/** Runs one customer-year; `daily` also wakes the step one health tick after every evaluation. */
function runYear(index: number, daily: boolean): Story {
  const customer = profile(index, 'equiv');
  const plan = yearPlan(customer, START);
  const definition = DEFAULT_LIFECYCLE;
  const tick = definition.timers.healthTickHours * 60 * 60 * 1000;
  const state = initialState(handoffFor(customer, START), definition, new Date(START).toISOString());
  const story: Story = { stageMoves: [], bandChanges: [], plays: [], steps: 0, state };
  const dayOf = (at: number) => Math.floor((at - START) / DAY);
  let published = nothingPublished();
  let band = state.health?.band ?? null;

  const step = (at: number, input: Partial<StepInput>) => {
    const now = new Date(at).toISOString();
    const stage = state.stage;
    const result = lifecycleStep(
      state,
      definition,
      { now, arrivals: [], droppedArrivals: 0, finishedPlays: [], updates: [], timeReached: false, ...input },
      published,
      { workflowId: `customer:${customer.customerId}` },
    );
    published = result.published;
    story.steps += 1;
    if (state.stage !== stage) story.stageMoves.push(`day ${dayOf(at)}: ${stage} -> ${state.stage}`);
    const now_band = state.health?.band ?? null;
    if (now_band !== band) story.bandChanges.push(`day ${dayOf(at)}: ${band} -> ${now_band}`);
    band = now_band;
    for (const start of result.plays.starts) story.plays.push(`day ${dayOf(at)}: ${start.play.id}`);
    return result;
  };

  let wake = step(START, { handoff: true }).wake;
  const end = START + 400 * DAY;
  let week = 1;
  for (;;) {
    const batchAt = week <= WEEKS ? sendAt(START, week) : Infinity;
    const wakeAt = wake ? Date.parse(wake.at) : Infinity;
    const dailyAt = daily ? Date.parse(state.health?.at ?? new Date(START).toISOString()) + tick : Infinity;
    const timeAt = Math.min(wakeAt, dailyAt);
    const at = Math.min(batchAt, timeAt);
    if (at > end) break;
    if (batchAt <= timeAt) {
      wake = step(batchAt, { arrivals: plan[week]!, timeReached: batchAt === timeAt }).wake;
      week += 1;
    } else {
      wake = step(timeAt, { timeReached: true }).wake;
    }
  }
  return story;
}

describe('the lean step against a daily reference (benchmark customer-years)', () => {
  // Index % 10 picks the segment (0-2 enterprise, 3-5 mid-market, 6-9 tech touch); 9 fades mid-year.
  const customers = [0, 3, 6, 9, 12, 15, 19, 29];

  it.each(customers)('customer %i: same stage moves, band changes and plays on the same days', (index) => {
    const lean = runYear(index, false);
    const reference = runYear(index, true);
    expect(lean.stageMoves).toEqual(reference.stageMoves);
    expect(lean.bandChanges).toEqual(reference.bandChanges);
    expect(lean.plays).toEqual(reference.plays);
    // The point of it: the daily reference wakes about every day, the lean step far less often.
    expect(lean.steps).toBeLessThan(reference.steps / 2);
  });

  it('covers a year worth telling: stages advance and a fading customer changes band', () => {
    const faded = runYear(9, false);
    expect(faded.stageMoves.length).toBeGreaterThan(0);
    expect(faded.bandChanges.length).toBeGreaterThan(1);
    expect(faded.plays.length).toBeGreaterThan(0);
  });
});

describe('nextHealthCheck', () => {
  const definition = DEFAULT_LIFECYCLE;
  const at = (days: number) => new Date(START + days * DAY).toISOString();

  it('wakes at the first daily check where a fading login drags the band down, not before', () => {
    const customer = profile(3, 'check');
    const state = initialState(handoffFor(customer, START), definition, at(0));
    const published = nothingPublished();
    const events = yearPlan(customer, START)[1]!;
    const result = lifecycleStep(
      state,
      definition,
      { now: at(7), arrivals: events, droppedArrivals: 0, finishedPlays: [], updates: [], timeReached: false },
      published,
      {
        workflowId: 'w',
      },
    );
    expect(result.wake).toBeDefined();
    const check = nextHealthCheck(state, definition, at(7));
    if (check) {
      // On the grid of the last evaluation, and the outcome really differs there and not a day before.
      expect((Date.parse(check.at) - Date.parse(state.health!.at)) % (definition.timers.healthTickHours * 3_600_000)).toBe(0);
    }
  });

  it('plans nothing past the horizon it is given', () => {
    const customer = profile(0, 'horizon');
    const state = initialState(handoffFor(customer, START), definition, at(0));
    lifecycleStep(
      state,
      definition,
      { now: at(0), arrivals: [], droppedArrivals: 0, finishedPlays: [], updates: [], timeReached: false, handoff: true },
      nothingPublished(),
      {
        workflowId: 'w',
      },
    );
    expect(nextHealthCheck(state, definition, at(0), at(0.5))).toBeUndefined();
  });
});

describe('the read-model rows a step notes for the events it applies', () => {
  const definition = DEFAULT_LIFECYCLE;
  const at = (days: number) => new Date(START + days * DAY).toISOString();
  const contract = (id: string, action: string, arr?: number) => ({ id, type: 'contract', action, ...(arr === undefined ? {} : { arr }), occurredAt: at(3) });
  const step = (readModelWrites: boolean | undefined, arrivals: unknown[]) => {
    const customer = profile(0, 'read-model');
    const state = initialState(handoffFor(customer, START), definition, at(0));
    const result = lifecycleStep(
      state,
      definition,
      { now: at(3), arrivals, droppedArrivals: 0, finishedPlays: [], updates: [], timeReached: false },
      nothingPublished(),
      { workflowId: 'w', readModelWrites },
    );
    return { state, handoffArr: handoffFor(customer, START).arr, write: result.write };
  };

  it('measures each ARR change from the one before it, in the order applied, and churns the last ARR', () => {
    const { handoffArr, write, state } = step(true, [
      contract('up', 'expanded', 90_000),
      contract('same', 'expanded', 90_000),
      contract('down', 'contracted', 70_000),
      { id: 'nps', type: 'survey', survey: 'nps', score: 9, occurredAt: at(3) },
      contract('churn', 'churned'),
      contract('churn-again', 'churned'),
      contract('up', 'expanded', 95_000), // a repeated id: applied once, noted once
    ]);
    expect(write?.readModel?.map((r) => [r.event.id, r.arrMovement?.kind, r.arrMovement?.amount])).toEqual([
      ['up', 'expansion', 90_000 - handoffArr],
      ['same', undefined, undefined],
      ['down', 'contraction', 20_000],
      ['nps', undefined, undefined],
      ['churn', 'churn', 70_000],
      ['churn-again', undefined, undefined],
    ]);
    const net = write!.readModel!.reduce(
      (sum, r) => sum + (r.arrMovement ? (r.arrMovement.kind === 'expansion' ? 1 : -1) * r.arrMovement.amount : 0),
      handoffArr,
    );
    expect(net).toBe(0);
    expect(state.facts.contractStatus).toBe('churned');
  });

  it('notes nothing for usage, milestones or rejected events, and nothing at all unless asked (simulations)', () => {
    const usage = { id: 'u', type: 'usage', logins: 3, occurredAt: at(3) };
    const rejected = { id: 'bad', type: 'survey', survey: 'nps', score: 99, occurredAt: at(3) };
    expect(step(true, [usage, { id: 'm', type: 'milestone', milestone: 'setup_done', occurredAt: at(3) }, rejected]).write?.readModel).toBeUndefined();
    expect(step(undefined, [contract('up', 'expanded', 90_000)]).write?.readModel).toBeUndefined();
    expect(step(true, [contract('up', 'expanded', 90_000)]).write?.readModel).toHaveLength(1);
  });
});
