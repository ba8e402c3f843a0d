/**
 * The carried state: every shape a run has ever handed to the next (test/fixtures/carried-states,
 * made by the domain code of the commit that shipped it) is read, runs on today's rules, and comes
 * out as today's version; anything else is refused by type.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CARRIED_VERSION, CarriedStateError, fromCarried, toCarried } from '../../src/domain/carried-state';
import { customerView } from '../../src/domain/customer-view';
import { ZCustomerView } from '../../src/domain/customer-view-schema';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { emptyChanges, evaluate, pendingTimers, planPlays, type LifecycleState } from '../../src/domain/lifecycle-state';

const dir = join(__dirname, '../fixtures/carried-states');
const samples = readdirSync(dir)
  .filter((file) => file.endsWith('.json'))
  .sort();
const sample = (file: string): Record<string, any> => JSON.parse(readFileSync(join(dir, file), 'utf8'));
const first = () => sample('v1-6bdd336-first-release.json');
/** The samples' customer started 2026-01-05 and was carried on day 300. */
const DAY_301 = '2026-11-01T10:00:00.000Z';

describe('fromCarried', () => {
  it('has a sample of each shape that shipped', () => {
    expect(samples.length).toBeGreaterThanOrEqual(5);
  });

  it.each(samples)('reads %s as it was carried, key for key', (file) => {
    const carried = sample(file);
    const state = fromCarried(structuredClone(carried));
    // Nothing filled in but the handoff's lists from before plays (read as none, as the play rules did).
    const { handoff, ...rest } = state;
    const { handoff: carriedHandoff, ...carriedRest } = carried;
    expect(rest).toEqual(carriedRest);
    expect(handoff).toEqual({ objections: [], competitors: [], ...carriedHandoff });
    expect(state).not.toHaveProperty('carriedVersion');
  });

  it.each(samples)('runs %s on today’s rules, and shows it', (file) => {
    const state = fromCarried(sample(file));
    const changes = emptyChanges();
    expect(() => evaluate(state, DEFAULT_LIFECYCLE, DAY_301, { type: 'timer', id: 'health_tick' }, changes)).not.toThrow();
    expect(() => planPlays(state, DEFAULT_LIFECYCLE, 'customer:acme', DAY_301, { type: 'timer', id: 'health_tick' }, changes)).not.toThrow();
    const timers = pendingTimers(state, DEFAULT_LIFECYCLE, DAY_301);
    expect(() => ZCustomerView.parse(customerView(state, DEFAULT_LIFECYCLE, DAY_301, timers))).not.toThrow();
  });

  it.each(samples)('does not plan again the renewal rungs %s already fired', (file) => {
    const state = fromCarried(sample(file));
    const fired = Object.keys(state.firedTimers).filter((id) => id.startsWith('renewal:'));
    expect(fired.length).toBeGreaterThan(0);
    expect(pendingTimers(state, DEFAULT_LIFECYCLE, DAY_301).filter((t) => t.id.startsWith('renewal:value_review'))).toEqual([]);
  });

  it('keeps old per-contract-end rung ids fired once a carried state adopts the seed-held rules', () => {
    // A run continued under `seed-rules-v1` sets the flag on a state whose rungs fired under the old ids.
    const state = fromCarried({ ...first(), seedRules: true });
    expect(Object.keys(state.firedTimers)).toContain('renewal:value_review:2027-01-05');
    const renewals = pendingTimers(state, DEFAULT_LIFECYCLE, DAY_301).filter((t) => t.kind === 'renewal');
    expect(renewals.map((t) => t.ref)).not.toContain('value_review');
    expect(renewals.map((t) => t.ref)).not.toContain('renewal_conversation');
  });

  it('leaves absent what meant "the rule of before": plays, seed rules, the term, engagement evidence', () => {
    const state = fromCarried(first());
    expect(state.plays).toBeUndefined();
    expect(state.seedRules).toBeUndefined();
    expect(state.facts.contractTerm).toBeUndefined();
    expect(state.facts.contractEnds).toBeUndefined();
    expect(state.facts.engagementRecorded).toBeUndefined();
  });
});

describe('toCarried', () => {
  it.each(samples)('carries %s on as version 2, and reads it back the same, through JSON too', (file) => {
    const state = fromCarried(sample(file));
    const carried = toCarried(state);
    expect(carried.carriedVersion).toBe(CARRIED_VERSION);
    expect(fromCarried(carried)).toEqual(state);
    expect(fromCarried(JSON.parse(JSON.stringify(carried)))).toEqual(state);
  });

  it('differs from the working state by the tag alone (an old worker in a deploy takes it as it is)', () => {
    const state = fromCarried(first());
    const { carriedVersion, ...rest } = toCarried(state);
    expect(carriedVersion).toBe(2);
    expect(rest).toEqual(state);
  });
});

describe('what is not a carried state', () => {
  const withStage = (stage: unknown) => ({ ...first(), stage });
  const without = (key: keyof LifecycleState) => {
    const { [key]: _dropped, ...rest } = first();
    return rest;
  };
  it.each<[string, unknown, RegExp]>([
    ['null', null, /not an object/],
    ['a list', [first()], /not an object/],
    ['a version from a newer worker', { ...first(), carriedVersion: 3 }, /version 3 is not one this worker reads/],
    ['a version that is not a number', { ...first(), carriedVersion: 'two' }, /version two/],
    ['no stage', without('stage'), /stage/],
    ['an unknown stage', withStage('renewal'), /stage/],
    ['no facts', without('facts'), /facts/],
    ['a timeline that is not a list', { ...first(), timeline: {} }, /timeline/],
  ])('refuses %s with a CarriedStateError', (_, carried, message) => {
    let error: unknown;
    try {
      fromCarried(carried);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CarriedStateError);
    expect((error as Error).message).toMatch(message);
  });
});
