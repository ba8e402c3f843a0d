/**
 * Risk the score hides, through the real workflow on the time-skipping server: a retention customer
 * with healthy usage whose champion leaves, who answers NPS 3 and opens three severe tickets before
 * its renewal. The weighted score alone kept it yellow and no play said the renewal was in danger;
 * the default definition's hard conditions make it red and start renewal-at-risk.
 */
import type { TCustomerEvent } from '../../src/domain/customer-events';
import type { Database } from '../../src/db/database';
import { getStateQuery } from '../../workflows/messages';
import { runCustomerStory } from '../support/customer-story';
import { DAY, engaged, handoff, milestone, survey, usage } from '../support/customers';
import { openTestDatabase, uniqueSuffix } from '../support/servers';

describe('hard conditions in the default lifecycle (time-skipping server)', () => {
  let database: Database;

  beforeAll(async () => {
    database = await openTestDatabase('health_risk_ts');
  });
  afterAll(async () => {
    await database?.close();
  });

  const ticket = (at: number, severity: 'high' | 'urgent', n: number): TCustomerEvent => ({
    id: `t-${n}-${uniqueSuffix()}`,
    type: 'ticket',
    ticketId: `T-${n}`,
    action: 'opened',
    severity,
    occurredAt: new Date(at).toISOString(),
  });

  it('turns a yellow-looking retention customer red, names why, and starts renewal-at-risk', async () => {
    let customerId = '';
    let health: { band: string | null; conditions?: { id: string; label: string }[] } | null = null;
    await runCustomerStory(
      database,
      (startAt) => {
        const h = handoff({ startAt, contractEnd: new Date(startAt + 180 * DAY).toISOString() });
        customerId = h.customerId;
        return h;
      },
      async ({ handle, day, send }) => {
        let at = await day(2);
        await send(
          usage(at),
          milestone('kickoff_held', at),
          milestone('setup_done', at),
          milestone('training_done', at),
          engaged({ id: 'champ', name: 'Priya', role: 'champion' }, at),
          engaged({ id: 'sponsor', name: 'Tom', role: 'executive_sponsor' }, at),
        );
        at = await day(20);
        await send(usage(at), milestone('first_value', at));
        at = await day(45);
        await send(usage(at), milestone('core_training_done', at), survey('nps', 9, at), survey('csat', 5, at));
        for (let d = 55; d <= 95; d += 10) {
          at = await day(d);
          await send(usage(at));
        }
        expect(await handle.query(getStateQuery)).toMatchObject({ stage: 'retention', health: { band: 'green' } });
        at = await day(100);
        await send(usage(at), ticket(at, 'high', 1));
        at = await day(101);
        await send({
          id: `left-${uniqueSuffix()}`,
          type: 'stakeholder',
          action: 'left',
          stakeholder: { id: 'champ', name: 'Priya', role: 'champion' },
          occurredAt: new Date(at).toISOString(),
        });
        at = await day(104);
        await send(survey('nps', 3, at));
        at = await day(108);
        await send(usage(at), ticket(at, 'urgent', 2));
        at = await day(112);
        await send(ticket(at, 'high', 3));
        health = (await handle.query(getStateQuery)).health;
      },
      // A distinct time of day per step, away from the daily health tick (see plays.time-skipping.test.ts).
      { timeOfDayMs: (n) => (37 + 3 * n) * 60 * 1000 },
    );
    expect(health).toMatchObject({ band: 'red' });
    expect(health!.conditions?.[0]).toMatchObject({ id: 'champion_lost_with_risk', label: expect.stringMatching(/^champion left 11 days ago/) });
    const runs = await database.prisma.playRun.findMany({ where: { customerId }, orderBy: { startedAt: 'asc' } });
    const atRisk = runs.find((r) => r.playId === 'renewal_at_risk');
    // Yellow with a lost champion inside the window already: the save plan starts on day 101.
    expect(atRisk).toMatchObject({ why: 'condition met: red, or yellow with a hard condition, inside the 90-day renewal window' });
    expect(runs.map((r) => r.playId)).toContain('red_account');
    const entries = await database.prisma.timelineEntry.findMany({ where: { customerId, kind: 'health' }, orderBy: { occurredAt: 'asc' } });
    expect(entries.some((e) => /champion left \d+ days ago/.test(e.summary))).toBe(true);
  }, 240_000);
});
