/**
 * The demo portfolio `npm start` seeds: varied on paper (archetypes, valid events, the same on every
 * run), and varied where a first-time user looks — seeded into the dev server through a real worker,
 * every stage is populated and the metrics show every health band, customers at risk, renewals due,
 * expansion, contraction and churn.
 */
import { endDemoWorkflows, holdDemoIds } from '../support/end-demo-workflows';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { ZCustomerEvent } from '../../src/domain/customer-events';
import { impliesReadModelRows } from '../../src/domain/read-model-rows';
import type { Database } from '../../src/db/database';
import { demoPortfolio, seedDemoPortfolio } from '../../src/demo/demo-portfolio';
import { portfolioReport } from '../../src/metrics/portfolio-report';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { connectDevServer, openTestDatabase, startTestWorker } from '../support/servers';
import { until } from '../support/until';

const NOW = Date.parse('2026-11-30T12:00:00Z');

describe('demo portfolio', () => {
  it('has about 50 customers of every kind, with valid, unique events, the same on every run', () => {
    const portfolio = demoPortfolio(NOW);
    expect(portfolio).toHaveLength(50);
    const kinds = new Map<string, number>();
    for (const c of portfolio) kinds.set(c.archetype, (kinds.get(c.archetype) ?? 0) + 1);
    expect(Object.fromEntries(kinds)).toEqual({ healthy: 20, stalled: 8, at_risk: 10, expansion_ready: 7, contracted: 3, churned: 2 });
    const ids = portfolio.flatMap((c) => c.events.map((e) => e.id));
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of portfolio) for (const event of c.events) expect(() => ZCustomerEvent.parse(event)).not.toThrow();
    for (const c of portfolio) for (const event of c.events) expect(Date.parse(event.occurredAt)).toBeLessThan(NOW);
    expect(demoPortfolio(NOW)).toEqual(portfolio);
  });

  describe('seeded into the dev server', () => {
    let env: TestWorkflowEnvironment;
    let database: Database;
    let letGo: (() => void) | undefined;
    beforeAll(async () => {
      letGo = await holdDemoIds(process.env.TEST_TEMPORAL_ADDRESS!);
      [env, database] = await Promise.all([connectDevServer(), openTestDatabase('demo')]);
    }, 960_000);
    afterAll(async () => {
      if (env)
        await endDemoWorkflows(
          env.client,
          demoPortfolio(Date.now()).map((c) => c.handoff.customerId),
        );
      letGo?.();
      await Promise.all([env?.teardown(), database?.close()]);
    }, 60_000);

    // Seeding 50 customers' histories through one worker: minutes on a busy 2-core machine.
    const SETTLE_TIMEOUT_MS = 480_000;
    it(
      'shows every health band, risk, renewals, expansion and churn in the metrics',
      async () => {
        const { worker, taskQueue } = await startTestWorker(env, database);
        await worker.runUntil(async () => {
          const seeded = await seedDemoPortfolio({ prisma: database.prisma, client: env.client, taskQueue });
          expect(seeded).toEqual({ customers: 50, created: 50 });
          // Seeding again keeps what is there and applies nothing twice.
          expect(await seedDemoPortfolio({ prisma: database.prisma, client: env.client, taskQueue })).toEqual({ customers: 50, created: 0 });
          // Settled: every customer scored, every event that writes read-model rows (surveys,
          // stakeholders, contract changes: the ARR ledger) applied, and stages and bands unchanged
          // over two seconds. Waited for as facts, as long as a loaded 2-core machine needs: a quiet
          // two seconds alone is not one (a worker retrying an activity with backoff is quiet too).
          const toApply = demoPortfolio(Date.now())
            .flatMap((c) => c.events)
            .filter(impliesReadModelRows).length;
          const snapshot = async () =>
            JSON.stringify([
              await database.prisma.customer.findMany({ select: { id: true, stage: true, healthBand: true }, orderBy: { id: 'asc' } }),
              await database.prisma.appliedEvent.count(),
              await database.prisma.arrMovement.count(),
            ]);
          await until(
            'the 50 demo customers to settle',
            async () => {
              const before = await snapshot();
              if (before.includes('"healthBand":null')) return false;
              if ((await database.prisma.appliedEvent.count()) < toApply) return false;
              await new Promise((r) => setTimeout(r, 2_000));
              return before === (await snapshot());
            },
            SETTLE_TIMEOUT_MS,
          );
          expect(await database.prisma.customer.count({ where: { healthBand: null } })).toBe(0);
        });
        const report = await portfolioReport(database.prisma, DEFAULT_LIFECYCLE, 90);
        // Customers at every stage, the at-risk ones among the onboarded rather than stuck in onboarding.
        const stages = new Set((await database.prisma.customer.findMany({ select: { stage: true } })).map((c) => c.stage));
        expect([...stages].sort()).toEqual(['adoption', 'advocacy', 'expansion', 'onboarding', 'retention']);
        expect(report.atRisk.every((c) => c.stage !== 'onboarding')).toBe(true);
        expect(report.health.green).toBeGreaterThan(0);
        expect(report.health.yellow + report.health.red).toBeGreaterThan(0);
        expect(report.atRisk.length).toBeGreaterThan(0);
        expect(report.renewalsDue90Days.length).toBeGreaterThan(0);
        // The default window (90 days) shows every ARR component moving.
        expect(report.arr).toMatchObject({ expansionArr: expect.any(Number), contractionArr: expect.any(Number), churnArr: expect.any(Number) });
        const { expansionArr, contractionArr, churnArr, newArr } = report.arr;
        const notMoving = Object.entries({ expansionArr, contractionArr, churnArr, newArr }).filter(([, value]) => !(value > 0));
        expect(notMoving).toEqual([]);
        expect(report.arr.nrr).not.toBeNull();
        expect(report.nps.responses).toBeGreaterThan(0);
        expect(Object.keys(report.timeToValue).length).toBeGreaterThan(0);
        expect(report.booksOfBusiness.map((b) => b.csmOwner).sort()).toEqual(['dana@example.com', 'kim@example.com', 'lee@example.com', 'sam@example.com']);
        expect(await database.prisma.ingestedEvent.count({ where: { deliveredAt: null } })).toBe(0);
      },
      SETTLE_TIMEOUT_MS + 120_000,
    );
  });
});
