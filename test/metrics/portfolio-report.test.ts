/**
 * The portfolio report computed by SQL aggregates equals the pure formulas of portfolio.ts applied
 * to every row (the way the report was computed before it moved into the database), on real
 * PostgreSQL and on embedded PGlite: a handful of customers chosen for the edge cases, then a
 * seeded portfolio of a few hundred.
 */
import { seedPortfolio } from '../../src/bench/portfolio-seed';
import { openDatabase, type Database } from '../../src/db/database';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import type { TLifecycleDefinition } from '../../src/domain/lifecycle-definition';
import type { Prisma, PrismaClient } from '../../src/generated/prisma/client';
import { booksOfBusiness, nps, retention, timeToValue } from '../../src/metrics/portfolio';
import { portfolioReport, portfolioSummary } from '../../src/metrics/portfolio-report';
import { openTestDatabase, uniqueSuffix } from '../support/servers';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The report from every row and the pure functions, as portfolio-report.ts computed it before. */
async function reportFromRows(prisma: PrismaClient, definition: TLifecycleDefinition, days: number, to: Date) {
  const from = new Date(to.getTime() - days * DAY_MS);
  const [movements, npsRows, firstValues, customers] = await Promise.all([
    prisma.arrMovement.findMany({ select: { customerId: true, kind: true, amount: true, occurredAt: true } }),
    prisma.surveyResponse.findMany({ where: { survey: 'nps', occurredAt: { gte: from } }, select: { score: true } }),
    prisma.ingestedEvent.findMany({
      where: { type: 'milestone', deliveredAt: { not: null }, payload: { path: ['milestone'], equals: 'first_value' } },
      select: { customerId: true, occurredAt: true },
    }),
    // By id, so equal renewal dates and equal ARR keep the order the SQL report gives them.
    prisma.customer.findMany({ orderBy: { id: 'asc' } }),
  ]);
  const active = customers.filter((cu) => cu.contractStatus !== 'churned');
  const byId = new Map(customers.map((cu) => [cu.id, cu]));
  const firstValueAt = new Map<string, Date>();
  for (const fv of firstValues)
    if (!firstValueAt.has(fv.customerId) || fv.occurredAt < firstValueAt.get(fv.customerId)!) firstValueAt.set(fv.customerId, fv.occurredAt);
  const ttvRows = [...firstValueAt].flatMap(([id, at]) => {
    const cu = byId.get(id);
    return cu?.contractStart ? [{ segment: cu.segment ?? 'unknown', days: Math.max(0, Math.round((at.getTime() - cu.contractStart.getTime()) / DAY_MS)) }] : [];
  });
  const health: Record<string, number> = { green: 0, yellow: 0, red: 0, insufficient_data: 0, unknown: 0 };
  for (const cu of active) health[cu.healthBand ?? 'unknown'] = (health[cu.healthBand ?? 'unknown'] ?? 0) + 1;
  const soon = new Date(to.getTime() + 90 * DAY_MS);
  const row = (cu: (typeof customers)[number]) => ({
    customerId: cu.id,
    name: cu.name,
    arr: Number(cu.arr),
    stage: cu.stage,
    healthScore: cu.healthScore,
    healthBand: cu.healthBand,
    csmOwner: cu.csmOwner,
    renewalDate: cu.contractEnd?.toISOString() ?? null,
  });
  // Books in CSM order (code-point order, as the SQL's COLLATE "C"), so equal loads keep one order.
  const bookRows = active
    .map((cu) => ({ csmOwner: cu.csmOwner ?? 'unassigned', segment: cu.segment ?? 'unknown', arr: Number(cu.arr) }))
    .sort((a, b) => (a.csmOwner < b.csmOwner ? -1 : a.csmOwner > b.csmOwner ? 1 : 0));
  return {
    period: { days, from: from.toISOString(), to: to.toISOString() },
    arr: {
      total: active.reduce((a, cu) => a + Number(cu.arr), 0),
      ...retention(
        movements.map((m) => ({ ...m, amount: Number(m.amount) })),
        from,
        to,
      ),
    },
    nps: nps(npsRows.map((r) => r.score)),
    timeToValue: timeToValue(ttvRows),
    health,
    renewalsDue90Days: active
      .filter((cu) => cu.contractEnd && cu.contractEnd >= to && cu.contractEnd <= soon)
      .sort((a, b) => a.contractEnd!.getTime() - b.contractEnd!.getTime())
      .map(row),
    atRisk: active
      .filter((cu) => cu.healthBand === 'red')
      .sort((a, b) => Number(b.arr) - Number(a.arr))
      .map(row),
    booksOfBusiness: booksOfBusiness(bookRows, Object.fromEntries(definition.segments.map((segment) => [segment.id, segment.csmRatio]))),
  };
}

/** Sums of cents in binary floating point differ in the last bits from PostgreSQL's exact sums. */
function roundNumbers(value: unknown): unknown {
  if (typeof value === 'number') return Math.round(value * 1e6) / 1e6;
  if (Array.isArray(value)) return value.map(roundNumbers);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundNumbers(v)]));
  return value;
}

async function compare(prisma: PrismaClient, days: number) {
  const sql = await portfolioReport(prisma, DEFAULT_LIFECYCLE, days);
  const reference = await reportFromRows(prisma, DEFAULT_LIFECYCLE, days, new Date(sql.period.to));
  expect(roundNumbers(sql)).toEqual(roundNumbers(reference));
  // The page's summary is the same report without its two lists.
  const { renewalsDue90Days: _renewals, atRisk: _atRisk, ...summary } = sql;
  expect(await portfolioSummary(prisma, DEFAULT_LIFECYCLE, days, new Date(sql.period.to))).toEqual(summary);
  return sql;
}

/** A handful of customers, each an edge case of one metric. */
async function seedEdgeCases(prisma: PrismaClient, now: number) {
  const ago = (days: number) => new Date(now - days * DAY_MS);
  const customer = (id: string, fields: Partial<Prisma.CustomerCreateManyInput>): Prisma.CustomerCreateManyInput => ({
    id,
    name: `Edge ${id}`,
    segment: 'mid_market',
    arr: 0,
    csmOwner: 'dana@example.com',
    contractStart: ago(400),
    contractEnd: ago(-200),
    ...fields,
  });
  await prisma.customer.createMany({
    data: [
      customer('steady', { segment: 'enterprise', arr: 100_000, contractStart: ago(400), contractEnd: ago(-30), healthBand: 'green', healthScore: 91 }),
      customer('expander', { arr: 25_000.5, contractStart: ago(300), contractEnd: ago(-30), healthBand: 'green', healthScore: 85 }),
      customer('contractor', {
        segment: 'tech_touch',
        arr: 6_000.01,
        csmOwner: 'lee@example.com',
        contractStart: ago(200),
        healthBand: 'red',
        healthScore: 41,
      }),
      customer('churned', { arr: 0, csmOwner: 'lee@example.com', contractStart: ago(500), contractStatus: 'churned', healthBand: 'red', healthScore: 12 }),
      customer('newcomer', { segment: 'tech_touch', arr: 5_000, csmOwner: null, contractStart: ago(30), healthBand: 'yellow', healthScore: 70 }),
      customer('new-and-gone', { segment: 'tech_touch', arr: 0, csmOwner: null, contractStart: ago(60), contractStatus: 'churned' }),
      customer('no-segment', { segment: null, arr: 9_000, contractStart: null, contractEnd: ago(1), healthBand: null }),
      customer('early-value', { segment: 'enterprise', arr: 60_000, contractStart: ago(100), contractEnd: ago(-89), healthBand: 'red', healthScore: 55 }),
      customer('rebought', { segment: 'tech_touch', arr: 1_500, csmOwner: 'lee@example.com', contractStart: ago(365), contractEnd: ago(-100) }),
      customer('half-day', { segment: 'enterprise', arr: 60_000, csmOwner: 'kim@example.com', contractStart: ago(50), healthBand: 'red', healthScore: 50 }),
    ],
  });
  let n = 0;
  const arr = (customerId: string, kind: string, amount: number, at: Date) => ({ idempotencyKey: `edge-arr-${n++}`, customerId, kind, amount, occurredAt: at });
  await prisma.arrMovement.createMany({
    data: [
      arr('steady', 'new', 100_000, ago(400)),
      arr('expander', 'new', 20_000, ago(300)),
      arr('expander', 'expansion', 5_000.5, ago(30)),
      arr('expander', 'expansion', 999, ago(-2)), // after the period: ignored
      arr('contractor', 'new', 8_000, ago(200)),
      arr('contractor', 'contraction', 1_999.99, ago(20)),
      arr('churned', 'new', 30_000, ago(500)),
      arr('churned', 'expansion', 1_000, ago(300)),
      arr('churned', 'churn', 31_000, ago(10)),
      arr('newcomer', 'new', 5_000, ago(30)),
      arr('new-and-gone', 'new', 2_000, ago(60)),
      arr('new-and-gone', 'churn', 2_000, ago(5)),
      arr('no-segment', 'new', 9_000, ago(120)),
      arr('early-value', 'new', 60_000, ago(100)),
      // ARR back to zero before the period: outside the cohort, so buying again is new ARR.
      arr('rebought', 'new', 1_000, ago(365)),
      arr('rebought', 'churn', 1_000, ago(200)),
      arr('rebought', 'new', 1_500, ago(40)),
      arr('half-day', 'new', 60_000, ago(50)),
    ],
  });
  await prisma.surveyResponse.createMany({
    data: [
      ['steady', 'nps', 10, 10],
      ['expander', 'nps', 8, 20],
      ['contractor', 'nps', 3, 15],
      ['churned', 'nps', 0, 60],
      ['early-value', 'nps', 9, 89],
      ['early-value', 'nps', 6, 200], // before the period
      ['steady', 'csat', 2, 5], // not NPS
    ].map(([customerId, survey, score, daysAgo], i) => ({
      idempotencyKey: `edge-survey-${i}`,
      customerId: customerId as string,
      survey: survey as string,
      score: score as number,
      occurredAt: ago(daysAgo as number),
    })),
  });
  const milestone = (customerId: string, name: string, at: Date, delivered = true) => ({
    idempotencyKey: `edge-event-${n++}`,
    customerId,
    type: 'milestone',
    payload: { type: 'milestone', milestone: name },
    occurredAt: at,
    deliveredAt: delivered ? at : null,
  });
  await prisma.ingestedEvent.createMany({
    data: [
      milestone('steady', 'first_value', ago(380)),
      milestone('expander', 'first_value', ago(255)),
      milestone('expander', 'first_value', ago(240)), // a later repeat: the first one counts
      milestone('contractor', 'first_value', ago(150), false), // never delivered: not a fact yet
      milestone('contractor', 'kickoff_done', ago(199)),
      milestone('churned', 'first_value', ago(470)),
      milestone('no-segment', 'first_value', ago(100)), // no contract start: no time to value
      milestone('early-value', 'first_value', ago(101)), // before the contract start: zero days
      milestone('half-day', 'first_value', new Date(now - 50 * DAY_MS + 10.5 * DAY_MS)), // 10.5 days: rounds up
      { ...milestone('rebought', 'first_value', ago(300)), type: 'usage' }, // not a milestone event
    ],
  });
}

describe.each([
  ['PostgreSQL', () => openTestDatabase(`report_${uniqueSuffix()}`)],
  ['PGlite', () => openDatabase({ kind: 'pglite', dataDir: 'memory://' })],
])('portfolio report by SQL aggregates on %s', (_, open) => {
  let database: Database;
  beforeAll(async () => {
    database = await open();
  }, 120_000);
  afterAll(() => database?.close());

  it('is empty but well formed on an empty database', async () => {
    const report = await compare(database.prisma, 90);
    expect(report).toMatchObject({ arr: { total: 0, startingArr: 0, nrr: null, grr: null, logoChurnRate: null }, nps: { score: null }, timeToValue: {} });
  });

  it('equals the pure formulas over every row, edge cases included', async () => {
    await seedEdgeCases(database.prisma, Date.now());
    for (const days of [30, 90, 365]) await compare(database.prisma, days);
    // Not vacuous: each edge case shows where it should.
    const report = await compare(database.prisma, 90);
    expect(report.arr).toMatchObject({
      cohortCustomers: 6,
      startingArr: 100_000 + 20_000 + 8_000 + 31_000 + 9_000 + 60_000,
      expansionArr: 5_000.5,
      contractionArr: 1_999.99,
      churnArr: 31_000,
      churnedCustomers: 1,
      newArr: 5_000 + 2_000 + 1_500 + 60_000,
      newCustomerChurnArr: 2_000,
    });
    expect(report.nps).toEqual({ score: 0, responses: 5, promoters: 2, passives: 1, detractors: 2 });
    expect(report.timeToValue).toEqual({
      enterprise: { customers: 3, medianDays: 11, p90Days: 18.2 },
      mid_market: { customers: 2, medianDays: 37.5, p90Days: 43.5 },
    });
    expect(report.health).toEqual({ green: 2, yellow: 1, red: 3, insufficient_data: 0, unknown: 2 });
    expect(report.renewalsDue90Days.map((r) => r.customerId)).toEqual(['expander', 'steady', 'early-value']);
    expect(report.atRisk.map((r) => r.customerId)).toEqual(['early-value', 'half-day', 'contractor']);
  });

  it('equals the pure formulas over a seeded portfolio of 300 customers', async () => {
    await seedPortfolio(database.prisma, { customers: 300, usageEventsPerCustomer: 2, idPrefix: 'seeded' });
    for (const days of [30, 90, 365]) await compare(database.prisma, days);
  });
});
