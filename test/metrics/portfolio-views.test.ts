import type { Database } from '../../src/db/database';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { atRiskCustomers, healthBySegment, healthTrend, stageFunnel, stakeholdersLeft, upcomingRenewals } from '../../src/metrics/portfolio-views';
import { openTestDatabase } from '../support/servers';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

describe('the portfolio page aggregates, computed in PostgreSQL', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase('views');
    const { prisma } = database;
    const customer = (id: string, segment: string, band: string | null, stage: string, arr: number, renewalInDays: number, csm = 'dana') => ({
      id,
      name: id.toUpperCase(),
      segment,
      healthBand: band,
      healthScore: band === 'red' ? 30 : 85,
      stage,
      arr,
      csmOwner: csm,
      contractStart: ago(200),
      contractEnd: new Date(Date.now() + renewalInDays * DAY),
    });
    await prisma.customer.createMany({
      data: [
        customer('a', 'smb', 'green', 'adoption', 10_000, 30),
        customer('b', 'smb', 'red', 'adoption', 50_000, 100, 'lee'),
        customer('c', 'enterprise', 'red', 'retention', 90_000, 200),
        customer('d', 'enterprise', 'insufficient_data', 'onboarding', 20_000, 10),
        { ...customer('e', 'smb', 'red', 'retention', 99_000, 5), contractStatus: 'churned' },
      ],
    });
    // a entered adoption 3 days ago, b 200 days ago (stuck), c retention 1 day ago.
    const move = (customerId: string, to: string, days: number) => ({
      customerId,
      idempotencyKey: `${customerId}:${to}:${days}`,
      fromStage: 'onboarding',
      toStage: to,
      causeType: 'rule',
      reason: 'test',
      definitionVersion: 't',
      occurredAt: ago(days),
    });
    await prisma.stageTransition.createMany({ data: [move('a', 'adoption', 3), move('b', 'adoption', 200), move('c', 'retention', 1)] });
    const snapshot = (customerId: string, band: string, days: number, contributions: unknown = []) => ({
      customerId,
      idempotencyKey: `${customerId}:${days}`,
      score: band === 'red' ? 30 : 85,
      band,
      trend: 'flat',
      model: 'default',
      contributions: contributions as object,
      missing: [],
      definitionVersion: 't',
      computedAt: ago(days),
    });
    const lowLogin = [
      {
        id: 'usage',
        label: 'Usage',
        score: 0,
        effectiveWeight: 1,
        inputs: [{ metric: 'daysSinceLastLogin', value: 40, score: 0, effectiveWeight: 1, points: 0 }],
      },
    ];
    await prisma.healthSnapshot.createMany({
      data: [snapshot('a', 'green', 10), snapshot('b', 'green', 20), snapshot('b', 'red', 2, lowLogin), snapshot('c', 'red', 0.01)],
    });
    await prisma.stakeholder.create({ data: { customerId: 'b', stakeholderId: 'ch', name: 'Ana', role: 'champion', leftAt: ago(5) } });
  });
  afterAll(async () => database?.close());

  it('counts active customers by segment and band, unknown bands included as they are', async () => {
    const rows = await healthBySegment(database.prisma, {});
    expect(rows.map((r) => [r.segment, r.band, r.customers, r.arr])).toEqual([
      ['enterprise', 'insufficient_data', 1, 20_000],
      ['enterprise', 'red', 1, 90_000],
      ['smb', 'green', 1, 10_000],
      ['smb', 'red', 1, 50_000],
    ]);
    expect(await healthBySegment(database.prisma, { csmOwner: 'lee' })).toHaveLength(1);
  });

  it("follows each customer's latest band day by day", async () => {
    const trend = await healthTrend(database.prisma, {});
    const on = (daysAgo: number) => {
      const day = ago(daysAgo).toISOString().slice(0, 10);
      return Object.fromEntries(trend.filter((t) => t.day === day).map((t) => [t.band, t.customers]));
    };
    expect(on(15)).toEqual({ green: 1 });
    expect(on(5)).toEqual({ green: 2 });
    expect(on(0)).toEqual({ green: 1, red: 2 });
  });

  it('gives the funnel with median days in stage and SLA breaches from the definition', async () => {
    const funnel = await stageFunnel(database.prisma, DEFAULT_LIFECYCLE, {});
    const adoption = funnel.find((f) => f.stage === 'adoption')!;
    expect(adoption.customers).toBe(2);
    expect(adoption.medianDaysInStage).toBeCloseTo(101.5, 0);
    expect(adoption.stuck).toBe(1);
    expect(funnel.map((f) => f.stage)).toEqual(['onboarding', 'adoption', 'retention', 'expansion', 'advocacy']);
    expect(funnel.find((f) => f.stage === 'expansion')).toEqual({ stage: 'expansion', customers: 0, medianDaysInStage: null, behind: 0, stuck: 0 });
  });

  it('lists renewals of the next 120 days, soonest first, churned customers left out', async () => {
    const renewals = await upcomingRenewals(database.prisma, {});
    expect(renewals.customers.map((c) => c.customerId)).toEqual(['d', 'a', 'b']);
    expect(renewals).toMatchObject({ total: 3, arr: 80_000 });
    const first = await upcomingRenewals(database.prisma, {}, 120, 1);
    expect(first.customers.map((c) => c.customerId)).toEqual(['d']);
    expect(first).toMatchObject({ total: 3, arr: 80_000 });
  });

  it('lists red customers by ARR with their latest inputs and who left', async () => {
    const atRisk = await atRiskCustomers(database.prisma, {});
    expect(atRisk.customers.map((c) => c.customerId)).toEqual(['c', 'b']);
    const b = atRisk.customers[1]!;
    expect(b.dimensions[0]!.inputs[0]).toMatchObject({ metric: 'daysSinceLastLogin', value: 40 });
    expect(b.stakeholdersLeft).toEqual([expect.objectContaining({ role: 'champion', name: 'Ana' })]);
    // Built in SQL for the list, by Prisma for the customer page: the same words come of both.
    expect(b.stakeholdersLeft).toEqual((await stakeholdersLeft(database.prisma, ['b'])).get('b'));
    const largest = await atRiskCustomers(database.prisma, {}, 1);
    expect(largest).toMatchObject({ total: 2, customers: [expect.objectContaining({ customerId: 'c', stakeholdersLeft: [] })] });
    expect((await atRiskCustomers(database.prisma, { segment: 'smb' })).customers.map((c) => c.customerId)).toEqual(['b']);
  });
});
