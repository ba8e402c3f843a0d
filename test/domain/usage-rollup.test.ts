/**
 * Rolled-up usage must leave a customer's facts exactly as the raw events would have: the rollup
 * changes how many signals a workflow receives, never what it knows. Table-driven for the rule's
 * cases, then seeded random days of raw usage against their rollups.
 */
import type { TCustomerEvent } from '../../src/domain/customer-events';
import { applyEvent } from '../../src/domain/customer-facts';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { initialState } from '../../src/domain/lifecycle-state';
import { rollUpCustomerUsage, rollUpUsage, usageDay, type UsageEvent } from '../../src/domain/usage-rollup';
import { LIMITS } from '../../src/domain/bounds';
import { seededRandom } from '../../src/util/seeded-random';
import { handoff } from '../support/customers';

const usage = (occurredAt: string, fields: Partial<UsageEvent> = {}): UsageEvent => ({
  id: `u-${occurredAt}-${Math.random()}`,
  type: 'usage',
  occurredAt,
  logins: 0,
  keyFeaturesUsed: [],
  ...fields,
});

describe('rolled-up usage', () => {
  it.each<[string, UsageEvent[], Partial<UsageEvent>]>([
    [
      'sums logins and takes the latest login and last time',
      [usage('2026-03-02T09:00:00Z', { logins: 2 }), usage('2026-03-02T11:00:00Z', { logins: 0 }), usage('2026-03-02T10:00:00Z', { logins: 3 })],
      { logins: 5, occurredAt: '2026-03-02T11:00:00Z', lastLoginAt: '2026-03-02T10:00:00Z' },
    ],
    [
      "keeps a sender's lastLoginAt over the event's own time",
      [usage('2026-03-02T09:00:00Z', { logins: 1, lastLoginAt: '2026-03-02T08:00:00Z' })],
      { logins: 1, lastLoginAt: '2026-03-02T08:00:00Z' },
    ],
    ['names no last login when nobody logged in', [usage('2026-03-02T09:00:00Z'), usage('2026-03-02T09:30:00Z')], { logins: 0, lastLoginAt: undefined }],
    [
      'takes the last active users and seats received, not the largest',
      [
        usage('2026-03-02T09:00:00Z', { activeUsers: 40, seatsUsed: 45, seatsPurchased: 50 }),
        usage('2026-03-02T10:00:00Z', { activeUsers: 30 }),
        usage('2026-03-02T08:00:00Z', { seatsUsed: 20 }),
      ],
      { activeUsers: 30, seatsUsed: 20, seatsPurchased: 50 },
    ],
    [
      'names each feature once, in the order first seen',
      [usage('2026-03-02T09:00:00Z', { keyFeaturesUsed: ['reports', 'alerts'] }), usage('2026-03-02T10:00:00Z', { keyFeaturesUsed: ['api', 'reports'] })],
      { keyFeaturesUsed: ['reports', 'alerts', 'api'] },
    ],
    [
      'keeps the login count within its bound',
      [usage('2026-03-02T09:00:00Z', { logins: LIMITS.count }), usage('2026-03-02T10:00:00Z', { logins: 5 })],
      { logins: LIMITS.count },
    ],
  ])('%s', (_name, events, expected) => {
    const [rolled, ...more] = rollUpUsage('rollup-1', events);
    expect(more).toEqual([]);
    expect(rolled).toMatchObject({ id: 'rollup-1', type: 'usage' });
    for (const [field, value] of Object.entries(expected)) expect({ field, value: rolled![field as keyof UsageEvent] }).toEqual({ field, value });
  });

  it('spreads more features than one event may name over events of their own', () => {
    const features = Array.from({ length: LIMITS.featuresPerEvent * 2 + 5 }, (_, i) => `feature-${i}`);
    const events = features.map((feature, i) => usage(`2026-03-02T09:${String(i % 60).padStart(2, '0')}:00Z`, { logins: 1, keyFeaturesUsed: [feature] }));
    const rolled = rollUpUsage('rollup-2', events);
    expect(rolled.map((e) => [e.id, e.logins, e.keyFeaturesUsed.length])).toEqual([
      ['rollup-2', events.length, LIMITS.featuresPerEvent],
      ['rollup-2/1', 0, LIMITS.featuresPerEvent],
      ['rollup-2/2', 0, 5],
    ]);
    expect(rolled.flatMap((e) => e.keyFeaturesUsed)).toEqual(features);
  });

  it('takes the latest time by instant when offsets differ, and the day as written', () => {
    const [rolled] = rollUpUsage('rollup-3', [usage('2026-03-02T22:00:00-05:00', { logins: 1 }), usage('2026-03-02T23:00:00Z', { logins: 1 })]);
    expect(rolled).toMatchObject({ occurredAt: '2026-03-02T22:00:00-05:00', logins: 2 });
  });

  it('refuses events of two days, which count toward two days of logins', () => {
    expect(() => rollUpUsage('x', [usage('2026-03-02T23:59:00Z'), usage('2026-03-03T00:01:00Z')])).toThrow(/2026-03-03 rolled up with usage of 2026-03-02/);
  });

  it('leaves the facts as the raw events do, over seeded random days of usage', () => {
    const random = seededRandom(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const start = Date.parse('2026-03-01T00:00:00Z');
    for (let trial = 0; trial < 20; trial += 1) {
      const customer = handoff({ startAt: start - 30 * 86_400_000 });
      const raw = initialState(customer, DEFAULT_LIFECYCLE, new Date(start).toISOString()).facts;
      const rolledUp = structuredClone(raw);
      const events: UsageEvent[] = Array.from({ length: 1 + Math.floor(random() * 400) }, () => {
        const at = new Date(start + Math.floor(random() * 3 * 86_400_000)).toISOString();
        return usage(at, {
          logins: pick([0, 0, 1, 2, 7]),
          ...(random() < 0.2 ? { activeUsers: Math.floor(random() * 50) } : {}),
          ...(random() < 0.1 ? { seatsUsed: Math.floor(random() * 60) } : {}),
          ...(random() < 0.05 ? { seatsPurchased: 50 + Math.floor(random() * 20) } : {}),
          ...(random() < 0.1 ? { lastLoginAt: new Date(Date.parse(at) - Math.floor(random() * 3_600_000)).toISOString() } : {}),
          keyFeaturesUsed: random() < 0.5 ? [pick(['reports', 'alerts', 'api', 'sso', 'exports'])] : [],
        });
      });
      const now = new Date(start + 4 * 86_400_000).toISOString();
      for (const event of events) applyEvent(raw, event as TCustomerEvent, { now });
      // As the maintenance run assigns them: one rollup per day, the events in the order received.
      const rolled = rollUpCustomerUsage(events.map((event) => ({ rollupId: `rollup-${usageDay(event.occurredAt)}`, event })));
      expect(new Set(rolled.map((e) => usageDay(e.occurredAt))).size).toBe(rolled.length);
      for (const event of rolled) applyEvent(rolledUp, event, { now });
      expect(rolledUp).toEqual(raw);
    }
  });
});
