/**
 * The portfolio report behind `GET /v1/metrics` and `cli metrics`. PostgreSQL computes the sums,
 * counts and percentiles (one aggregate query per metric), so a request reads a few hundred rows
 * however large the portfolio; only the lists the report returns (renewals due, at risk) come back
 * row by row. The `…From…` functions in `portfolio.ts` turn the aggregates into results with the
 * same formulas as the row-based ones, and test/metrics/portfolio-report.test.ts checks that both
 * give the same report over the same rows. The portfolio page reads `portfolioSummary`, the report
 * without those lists.
 */
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { booksOfBusinessFromGroups, npsFromCounts, retentionFromTotals, timeToValueFromPercentiles, type RetentionTotals } from './portfolio';

const DAY_MS = 24 * 60 * 60 * 1000;

export type PortfolioReport = Awaited<ReturnType<typeof portfolioReport>>;
export type PortfolioSummary = Awaited<ReturnType<typeof portfolioSummary>>;

/**
 * Timestamps are bound as ISO text cast to `timestamp`: the columns hold UTC without a zone, and a
 * zone in the text is ignored by that cast, so the comparison never depends on the session's TimeZone.
 */
const at = (date: Date) => date.toISOString();

/** A customer in the renewals and at-risk lists. */
interface CustomerRow {
  customerId: string;
  name: string;
  arr: number;
  stage: string;
  healthScore: number | null;
  healthBand: string | null;
  csmOwner: string | null;
  renewalDate: string | null;
}
/** Its columns; the renewal date formatted as `Date.toISOString` does (the column holds UTC). */
const CUSTOMER_ROW = Prisma.sql`id AS "customerId", name, arr::float8 AS arr, stage, health_score AS "healthScore", health_band AS "healthBand",
  csm_owner AS "csmOwner", to_char(contract_end, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "renewalDate"`;

/** The whole report: the summary and the two lists, all as of one `to`. */
export async function portfolioReport(prisma: PrismaClient, definition: TLifecycleDefinition, days: number) {
  const to = new Date();
  const soon = new Date(to.getTime() + 90 * DAY_MS);
  const [summary, renewals, atRisk] = await Promise.all([
    portfolioSummary(prisma, definition, days, to),
    // The two lists come back as plain rows (about half the time of findMany's mapping at 5,000 rows).
    prisma.$queryRaw<CustomerRow[]>`
      SELECT ${CUSTOMER_ROW} FROM customers
      WHERE contract_status <> 'churned' AND contract_end >= ${at(to)}::timestamp AND contract_end <= ${at(soon)}::timestamp
      ORDER BY contract_end, id`,
    prisma.$queryRaw<CustomerRow[]>`
      SELECT ${CUSTOMER_ROW} FROM customers WHERE contract_status <> 'churned' AND health_band = 'red' ORDER BY arr DESC, id`,
  ]);
  const { booksOfBusiness, ...rest } = summary;
  // Key order as the response has always had it (lists before the books).
  return { ...rest, renewalsDue90Days: renewals, atRisk, booksOfBusiness };
}

/**
 * Everything in the report but its two unbounded lists (thousands of rows at 10,000 customers):
 * what the portfolio page's tiles and books show; the page lists its own top rows.
 */
export async function portfolioSummary(prisma: PrismaClient, definition: TLifecycleDefinition, days: number, to = new Date()) {
  const from = new Date(to.getTime() - days * DAY_MS);
  const [[totals], [npsCounts], ttv, bands, [arrTotal], books] = await Promise.all([
    // The cohort is the customers with ARR above zero before the period (every kind but new and
    // expansion takes ARR away, as in `retention`); the period's movements are split by cohort.
    prisma.$queryRaw<RetentionTotals[]>`
      WITH starting AS (
        SELECT customer_id, SUM(CASE WHEN kind IN ('new', 'expansion') THEN amount ELSE -amount END) AS arr
        FROM arr_movements WHERE occurred_at < ${at(from)}::timestamp GROUP BY customer_id
      ), cohort AS (SELECT customer_id, arr FROM starting WHERE arr > 0),
      period AS (
        SELECT m.customer_id, m.kind, m.amount, c.customer_id IS NOT NULL AS in_cohort
        FROM arr_movements m LEFT JOIN cohort c ON c.customer_id = m.customer_id
        WHERE m.occurred_at >= ${at(from)}::timestamp AND m.occurred_at < ${at(to)}::timestamp
      )
      SELECT
        (SELECT COALESCE(SUM(arr), 0) FROM cohort)::float8 AS "startingArr",
        COALESCE(SUM(amount) FILTER (WHERE in_cohort AND kind = 'expansion'), 0)::float8 AS "expansionArr",
        COALESCE(SUM(amount) FILTER (WHERE in_cohort AND kind = 'contraction'), 0)::float8 AS "contractionArr",
        COALESCE(SUM(amount) FILTER (WHERE in_cohort AND kind = 'churn'), 0)::float8 AS "churnArr",
        (SELECT COUNT(*) FROM cohort)::int AS "cohortCustomers",
        COUNT(DISTINCT customer_id) FILTER (WHERE in_cohort AND kind = 'churn')::int AS "churnedCustomers",
        COALESCE(SUM(amount) FILTER (WHERE NOT in_cohort AND kind = 'new'), 0)::float8 AS "newArr",
        COALESCE(SUM(amount) FILTER (WHERE NOT in_cohort AND kind = 'churn'), 0)::float8 AS "newCustomerChurnArr"
      FROM period`,
    prisma.$queryRaw<{ responses: number; promoters: number; detractors: number }[]>`
      SELECT COUNT(*)::int AS responses,
        COUNT(*) FILTER (WHERE score >= 9)::int AS promoters,
        COUNT(*) FILTER (WHERE score <= 6)::int AS detractors
      FROM survey_responses WHERE survey = 'nps' AND occurred_at >= ${at(from)}::timestamp`,
    // First value: a customer's earliest delivered first_value milestone (an event its sender was
    // told failed, and may never resend, is not a fact yet). Days rounded half up, never below zero.
    prisma.$queryRaw<{ segment: string; customers: number; medianDays: number | null; p90Days: number | null }[]>`
      WITH first_value AS (
        SELECT customer_id, MIN(occurred_at) AS reached_at FROM ingested_events
        WHERE type = 'milestone' AND delivered_at IS NOT NULL AND payload ->> 'milestone' = 'first_value'
        GROUP BY customer_id
      ), days AS (
        SELECT COALESCE(c.segment, 'unknown') AS segment,
          GREATEST(0, ROUND(EXTRACT(EPOCH FROM (f.reached_at - c.contract_start))::numeric / 86400))::float8 AS days
        FROM first_value f JOIN customers c ON c.id = f.customer_id
        WHERE c.contract_start IS NOT NULL
      )
      SELECT segment, COUNT(*)::int AS customers,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS "medianDays",
        percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS "p90Days"
      FROM days GROUP BY segment`,
    prisma.customer.groupBy({ by: ['healthBand'], where: { contractStatus: { not: 'churned' } }, _count: { _all: true }, orderBy: { healthBand: 'asc' } }),
    prisma.$queryRaw<{ total: number }[]>`SELECT COALESCE(SUM(arr), 0)::float8 AS total FROM customers WHERE contract_status <> 'churned'`,
    // Ordered by CSM (code points, whatever the database's collation) so equal loads keep one order.
    prisma.$queryRaw<{ csmOwner: string; segment: string; accounts: number; arr: number }[]>`
      SELECT COALESCE(csm_owner, 'unassigned') AS "csmOwner", COALESCE(segment, 'unknown') AS segment,
        COUNT(*)::int AS accounts, SUM(arr)::float8 AS arr
      FROM customers WHERE contract_status <> 'churned'
      GROUP BY 1, 2 ORDER BY COALESCE(csm_owner, 'unassigned') COLLATE "C", COALESCE(segment, 'unknown') COLLATE "C"`,
  ]);
  const health: Record<string, number> = { green: 0, yellow: 0, red: 0, insufficient_data: 0, unknown: 0 };
  for (const band of bands) health[band.healthBand ?? 'unknown'] = (health[band.healthBand ?? 'unknown'] ?? 0) + band._count._all;
  return {
    period: { days, from: from.toISOString(), to: to.toISOString() },
    arr: { total: arrTotal!.total, ...retentionFromTotals(totals!, from, to) },
    nps: npsFromCounts(npsCounts!),
    timeToValue: timeToValueFromPercentiles(ttv),
    health: health as { green: number; yellow: number; red: number; unknown: number },
    booksOfBusiness: booksOfBusinessFromGroups(books, Object.fromEntries(definition.segments.map((segment) => [segment.id, segment.csmRatio]))),
  };
}
