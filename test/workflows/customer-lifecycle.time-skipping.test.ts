/**
 * A customer's year in seconds: real workflow code on the official time-skipping test server,
 * writing to a real PostgreSQL database.
 */
import type { TCustomerEvent, TCustomerHandoff } from '../../src/domain/customer-events';
import type { Database } from '../../src/db/database';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import {
  customerEventSignal,
  customerEventsSignal,
  getCarriedStateQuery,
  getStateQuery,
  getTimelineQuery,
  getUpcomingTimersQuery,
  overrideStageUpdate,
  recordCsmSentimentUpdate,
} from '../../workflows/messages';
import { runCustomerStory, type CustomerStory } from '../support/customer-story';
import { DAY, engaged, handoff, milestone, survey, usage } from '../support/customers';
import { openTestDatabase, uniqueSuffix } from '../support/servers';

const WITHOUT_PLAYS = { ...DEFAULT_LIFECYCLE, plays: [] };

describe('customer lifecycle workflow over simulated years (time-skipping server)', () => {
  let database: Database;

  beforeAll(async () => {
    database = await openTestDatabase('lifecycle_ts');
  });
  afterAll(async () => {
    await database?.close();
  });

  /** One customer's life without plays: plays have their own scenarios (plays.time-skipping.test.ts). */
  const scenario = (makeHandoff: (startAt: number) => TCustomerHandoff, story: (customer: CustomerStory) => Promise<void>) =>
    runCustomerStory(database, makeHandoff, story, { definition: WITHOUT_PLAYS });

  it('moves a healthy customer from onboarding to advocacy within its first year', async () => {
    const customerId = await scenario(
      (startAt) => handoff({ startAt }),
      async ({ handle, day, send }) => {
        let at = await day(3);
        // The kickoff is where CS meets the champion and the sponsor (expansion needs two engaged).
        await send(
          usage(at),
          milestone('kickoff_held', at),
          milestone('setup_done', at),
          milestone('training_done', at),
          engaged({ id: 'champ', name: 'Priya', role: 'champion' }, at),
          engaged({ id: 'sponsor', name: 'Tom', role: 'executive_sponsor' }, at),
        );
        expect((await handle.query(getStateQuery)).stage).toBe('onboarding');

        at = await day(20);
        await send(usage(at), milestone('first_value', at));
        expect((await handle.query(getStateQuery)).stage).toBe('adoption');

        at = await day(45);
        await send(usage(at), milestone('core_training_done', at));
        expect((await handle.query(getStateQuery)).stage).toBe('retention');

        at = await day(100);
        await send(usage(at), survey('nps', 10, at), survey('csat', 5, at), milestone('value_review', at), milestone('renewal_conversation_started', at));
        expect((await handle.query(getStateQuery)).stage).toBe('expansion');

        at = await day(150);
        await send(usage(at), milestone('roi_documented', at), milestone('business_case', at));
        const state = await handle.query(getStateQuery);
        expect(state.stage).toBe('advocacy');
        expect(state.health?.band).toBe('green');
        expect(state.onboardingCompletedAt).toBeDefined();
      },
    );
    const moves = await database.prisma.stageTransition.findMany({ where: { customerId }, orderBy: { occurredAt: 'asc' } });
    expect(moves.map((m) => `${m.fromStage}->${m.toStage}`)).toEqual([
      'onboarding->adoption',
      'adoption->retention',
      'retention->expansion',
      'expansion->advocacy',
    ]);
    expect(moves.every((m) => m.causeType === 'event' && m.definitionVersion === DEFAULT_LIFECYCLE.version)).toBe(true);
  });

  it('marks a stalled onboarding behind, then stuck, and fires the time-to-value timer', async () => {
    const customerId = await scenario(
      (startAt) => handoff({ startAt, arr: 5_000 }), // tech touch: first value due within 30 days
      async ({ handle, day }) => {
        await day(31);
        const timeline = await handle.query(getTimelineQuery);
        expect(timeline.some((e) => e.kind === 'timer' && e.cause.type === 'timer' && e.cause.id.startsWith('time_to_value:'))).toBe(true);
        const onboarding = DEFAULT_LIFECYCLE.stages.find((s) => s.id === 'onboarding')! as { sla: { behindAfterDays: number; stuckAfterDays: number } };
        await day(onboarding.sla.behindAfterDays + 1);
        expect((await handle.query(getStateQuery)).sla).toBe('behind');
        await day(onboarding.sla.stuckAfterDays + 1);
        const state = await handle.query(getStateQuery);
        expect(state.sla).toBe('stuck');
        expect(state.stage).toBe('onboarding');
      },
    );
    const slaEntries = await database.prisma.timelineEntry.findMany({ where: { customerId, kind: 'sla' }, orderBy: { occurredAt: 'asc' } });
    expect(slaEntries.map((e) => (e.detail as { sla: string }).sla)).toEqual(['behind', 'stuck']);
  });

  it('turns red when usage falls and moves the customer back from expansion to retention', async () => {
    await scenario(
      (startAt) => handoff({ startAt }),
      async ({ handle, day, send }) => {
        let at = await day(1);
        // Healthy to begin with, else the override into expansion would be undone at once by the red rule.
        await send(
          usage(at, { seatsUsed: 45, keyFeaturesUsed: ['dashboards', 'reports', 'alerts', 'integrations'] }),
          survey('nps', 9, at),
          survey('csat', 5, at),
          milestone('first_value', at),
          milestone('value_review', at),
        );
        await handle.executeUpdate(overrideStageUpdate, {
          args: [{ stage: 'expansion', reason: 'migrated from the old CS tool', by: 'ops@example.com' }],
        });
        expect((await handle.query(getStateQuery)).stage).toBe('expansion');

        at = await day(45);
        await send(
          usage(at, { logins: 1, activeUsers: 1, seatsUsed: 2, keyFeaturesUsed: [], lastLoginAt: new Date(at - 20 * DAY).toISOString() }),
          survey('nps', 1, at),
          survey('csat', 1, at),
          { id: `pay-${uniqueSuffix()}`, type: 'payment', status: 'failed', occurredAt: new Date(at).toISOString() },
          ...[1, 2, 3].map((n): TCustomerEvent => ({
            id: `t-${n}-${uniqueSuffix()}`,
            type: 'ticket',
            ticketId: `T-${n}`,
            action: 'opened',
            severity: 'urgent',
            occurredAt: new Date(at).toISOString(),
          })),
        );
        await handle.executeUpdate(recordCsmSentimentUpdate, { args: [{ score: 1, by: 'dana@example.com', note: 'champion unreachable' }] });
        const state = await handle.query(getStateQuery);
        expect(state.health?.band).toBe('red');
        expect(state.stage).toBe('retention');
        const back = state.timeline.filter((e) => e.kind === 'stage').at(-1)!;
        expect(back.cause).toMatchObject({ type: 'rule' });
        expect(back.summary).toMatch(/^expansion -> retention/);
      },
    );
  });

  it('reschedules the renewal ladder when the renewal date moves', async () => {
    await scenario(
      (startAt) => handoff({ startAt }),
      async ({ handle, start, day, send }) => {
        const originalEnd = start + 365 * DAY;
        const renewalTimer = async () => (await handle.query(getUpcomingTimersQuery)).find((t) => t.id.startsWith('renewal:renewal_conversation:'));
        expect(Date.parse((await renewalTimer())!.at)).toBe(originalEnd - 90 * DAY);

        const at = await day(10);
        const movedEnd = originalEnd + 60 * DAY;
        await send({
          id: `moved-${uniqueSuffix()}`,
          type: 'contract',
          action: 'renewal_date_moved',
          contractEnd: new Date(movedEnd).toISOString(),
          occurredAt: new Date(at).toISOString(),
        });
        expect(Date.parse((await renewalTimer())!.at)).toBe(movedEnd - 90 * DAY);

        // Past the old T-90 nothing fires; past the new one the step does, once.
        await day(365 - 90 + 1);
        const fired = () =>
          handle
            .query(getTimelineQuery)
            .then((t) => t.filter((e) => e.kind === 'timer' && e.cause.type === 'timer' && e.cause.id.startsWith('renewal:renewal_conversation:')));
        expect(await fired()).toHaveLength(0);
        await day(365 + 60 - 90 + 1);
        // One ladder per contract term: the rung's id names the term, not the date it was planned for.
        expect((await fired()).map((e) => e.cause)).toEqual([{ type: 'timer', id: 'renewal:renewal_conversation:term-1' }]);
      },
    );
  });

  it('applies a duplicate event once, whether repeated in one batch or sent again later', async () => {
    const customerId = await scenario(
      (startAt) => handoff({ startAt }),
      async ({ handle, day, send }) => {
        const at = await day(2);
        const event = milestone('setup_done', at);
        await send(event, event);
        await send(event);
        const state = await handle.query(getCarriedStateQuery);
        expect(state.timeline.filter((e) => e.cause.type === 'event' && e.cause.id === event.id)).toHaveLength(1);
        expect(Object.keys(state.seenEventIds)).toContain(event.id);
      },
    );
    expect(await database.prisma.timelineEntry.count({ where: { customerId, kind: 'event' } })).toBe(1);
  });

  it('changes nothing at all for a batch of events already seen (item 10)', async () => {
    await scenario(
      (startAt) => handoff({ startAt }),
      async ({ handle, day, send }) => {
        const at = await day(2);
        const events = [usage(at), milestone('setup_done', at), survey('nps', 8, at)];
        await send(...events);
        const before = await handle.query(getCarriedStateQuery);
        // Repeats only, as a retrying sender would send them: no evaluation, no health point, no entry.
        for (let n = 0; n < 5; n += 1) await send(...events);
        await send(events[1]!, events[1]!);
        expect(await handle.query(getCarriedStateQuery)).toEqual(before);
        // Nor does time alone, while no rule's outcome can change (the lean step has no daily tick).
        await day(4);
        const after = await handle.query(getCarriedStateQuery);
        expect(after.healthHistory).toEqual(before.healthHistory);
      },
    );
  });

  it('takes signals sent at the start time of day, every day, as the health tick fires (item 11)', async () => {
    // Each day's send lands where the daily health tick (24 h after the last evaluation) falls; the
    // story runner keeps clear of it, so the Java test server's CancelTimer race cannot wedge the run.
    await scenario(
      (startAt) => handoff({ startAt }),
      async ({ handle, day, send }) => {
        for (let d = 1; d <= 12; d += 1) {
          const at = await day(d);
          await send(usage(at));
        }
        const state = await handle.query(getCarriedStateQuery);
        expect(Object.keys(state.seenEventIds)).toHaveLength(12);
      },
    );
  });

  it('rejects malformed signals into the timeline and goes on applying valid events', async () => {
    const customerId = await scenario(
      (startAt) => handoff({ startAt }),
      async ({ handle, day, env }) => {
        const at = await day(2);
        // Sent past the API, as `temporal workflow signal` would: no type-specific fields, no id,
        // a far-future date, 60,000 feature names, and a signal argument that is not even a list.
        await handle.signal(customerEventSignal, { id: 'x', type: 'usage' } as never);
        await handle.signal(customerEventsSignal, [
          { type: 'milestone', milestone: 'kickoff_held', occurredAt: new Date(at).toISOString() },
          { ...usage(at), id: 'far-future', occurredAt: '9999-12-31T00:00:00Z' },
          { ...usage(at), id: 'huge', keyFeaturesUsed: Array.from({ length: 60_000 }, (_, i) => `feature-${i}`) },
          // A key that PostgreSQL could not store if the reason quoted it as sent.
          { ...milestone('setup_done', at), id: 'odd-key', ['k\u0000\ud800']: 1 },
        ] as never);
        await handle.signal(customerEventsSignal, { not: 'a list' } as never);
        const valid = milestone('setup_done', at);
        await handle.signal(customerEventsSignal, [valid]);
        await env.sleep('1 minute');

        const state = await handle.query(getCarriedStateQuery);
        const rejected = state.timeline.filter((e) => e.kind === 'rejected').map((e) => e.summary);
        expect(rejected).toEqual([
          expect.stringMatching(/^event "x" rejected: occurredAt: .*; logins: /),
          expect.stringMatching(/^event \(no id\) rejected: id: /),
          expect.stringMatching(/^event "far-future" rejected: occurredAt: must not be more than a day in the future/),
          expect.stringMatching(/^event "huge" rejected: keyFeaturesUsed: /),
          expect.stringMatching(/^event "odd-key" rejected: .*Unrecognized key/),
          expect.stringMatching(/^event \(no id\) rejected: type: /),
        ]);
        expect(state.facts.milestones.setup_done).toBeDefined();
        expect(Object.keys(state.facts.dailyLogins).some((d) => d.startsWith('9999'))).toBe(false);
        // The rejected ids are not remembered: a corrected event with the same id still applies.
        expect(state.seenEventIds.x).toBeUndefined();
      },
    );
    const rows = await database.prisma.timelineEntry.findMany({ where: { customerId, kind: 'rejected' } });
    expect(rows).toHaveLength(6);
    expect(rows.every((row) => !row.summary.includes('\u0000'))).toBe(true);
  });
});
