/**
 * The aggregates the portfolio page needs beyond `GET /v1/metrics`: health by band and segment and
 * its trend over 90 days, the stage funnel (counts, median days in stage, behind and stuck), the
 * renewals of the next 120 days and the at-risk list with what its reasons are made of. Each is
 * computed in the database (GROUP BY, LATERAL, LIMIT), so the answer's size is bounded by days,
 * bands, stages and the list limits, not by the number of customers.
 */
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import type { DimensionResult } from '../domain/health';
import { STAGE_IDS, type TLifecycleDefinition } from '../domain/lifecycle-definition';

export interface PortfolioFilter {
  segment?: string;
  csmOwner?: string;
  stage?: string;
  band?: string;
}

/** Rows a list may show; the page says when there are more. */
export const LIST_LIMIT = 50;
export const TREND_DAYS = 90;
export const RENEWAL_DAYS = 120;

/** Active customers matching the filter, as a SQL condition on `c` (values bound, never spliced). */
function where(filter: PortfolioFilter, options: { band?: boolean } = {}): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`c.contract_status <> 'churned'`];
  if (filter.segment) parts.push(Prisma.sql`c.segment = ${filter.segment}`);
  if (filter.csmOwner) parts.push(Prisma.sql`c.csm_owner = ${filter.csmOwner}`);
  if (filter.stage) parts.push(Prisma.sql`c.stage = ${filter.stage}`);
  if (filter.band && options.band !== false) {
    parts.push(filter.band === 'unknown' ? Prisma.sql`c.health_band IS NULL` : Prisma.sql`c.health_band = ${filter.band}`);
  }
  return Prisma.join(parts, ' AND ');
}

export interface BandCount {
  segment: string;
  band: string;
  customers: number;
  arr: number;
}

export async function healthBySegment(prisma: PrismaClient, filter: PortfolioFilter): Promise<BandCount[]> {
  const rows = await prisma.$queryRaw<{ segment: string; band: string; customers: number; arr: string }[]>`
    SELECT COALESCE(c.segment, 'unknown') AS segment, COALESCE(c.health_band, 'unknown') AS band,
           count(*)::int AS customers, COALESCE(sum(c.arr), 0)::text AS arr
    FROM customers c WHERE ${where(filter)}
    GROUP BY 1, 2 ORDER BY 1, 2`;
  return rows.map((r) => ({ ...r, arr: Number(r.arr) }));
}

export interface TrendPoint {
  day: string;
  band: string;
  customers: number;
}

/**
 * Each day's count by band: every customer's latest score at the end of that day. A snapshot holds
 * from the day it was taken until the day the next one was (same-day ones never hold a day's end),
 * so the database returns only the days on which a band gains or loses customers, and the counts
 * are summed up here: linear in the snapshots, not customers × days.
 */
export async function healthTrend(prisma: PrismaClient, filter: PortfolioFilter, days = TREND_DAYS): Promise<TrendPoint[]> {
  const today = new Date();
  const last = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  const first = last - (days - 1) * 86_400_000;
  // UTC days, as the columns (timestamp without time zone, in UTC) and the day labels below are. Bound
  // as values, not computed from now() in SQL: the labels and the query then agree on "today", and
  // the planner sees that the cut-off passes nearly every snapshot, so it reads them in index order
  // instead of sorting them (a sub-select there made it guess a third of the rows and sort on disk).
  const utc = (ms: number) => new Date(ms).toISOString();
  const rows = await prisma.$queryRaw<{ day: Date; band: string; delta: number }[]>`
    WITH win AS (SELECT ${utc(first)}::timestamp AS start_day, ${utc(last)}::timestamp AS end_day),
    snap AS (
      SELECT COALESCE(h.band, 'unknown') AS band, date_trunc('day', h.computed_at) AS from_day,
        date_trunc('day', lead(h.computed_at) OVER (PARTITION BY h.customer_id ORDER BY h.computed_at)) AS to_day
      FROM health_snapshots h JOIN customers c ON c.id = h.customer_id AND ${where(filter, { band: false })}
      WHERE h.computed_at < ${utc(last + 86_400_000)}::timestamp
    ),
    held AS (
      SELECT band, GREATEST(from_day, start_day) AS from_day, to_day, end_day FROM snap, win
      WHERE to_day IS NULL OR (to_day > from_day AND to_day > start_day)
    )
    SELECT day, band, sum(delta)::int AS delta FROM (
      SELECT band, from_day AS day, 1 AS delta FROM held
      UNION ALL
      SELECT band, to_day AS day, -1 AS delta FROM held WHERE to_day IS NOT NULL AND to_day <= end_day
    ) d GROUP BY 1, 2 ORDER BY 1, 2`;
  const deltas = new Map<string, { band: string; delta: number }[]>();
  for (const r of rows) {
    const day = r.day.toISOString().slice(0, 10);
    deltas.set(day, [...(deltas.get(day) ?? []), { band: r.band, delta: r.delta }]);
  }
  const counts = new Map<string, number>();
  const points: TrendPoint[] = [];
  for (let i = 0; i < days; i++) {
    const day = new Date(first + i * 86_400_000).toISOString().slice(0, 10);
    for (const { band, delta } of deltas.get(day) ?? []) counts.set(band, (counts.get(band) ?? 0) + delta);
    for (const band of [...counts.keys()].sort()) {
      const customers = counts.get(band)!;
      if (customers > 0) points.push({ day, band, customers });
    }
  }
  return points;
}

export interface FunnelStage {
  stage: string;
  customers: number;
  medianDaysInStage: number | null;
  behind: number;
  stuck: number;
}

/**
 * Customers per stage, the median of their days in it and how many are past its SLA. A customer
 * entered its stage at its last move into it (stage_transitions), or at its contract start.
 */
export async function stageFunnel(prisma: PrismaClient, definition: TLifecycleDefinition, filter: PortfolioFilter): Promise<FunnelStage[]> {
  // A stage's SLA counts days in the stage, or days left to the contract end (retention's time box
  // runs to the renewal window); `before_end` says which, so each customer is judged by its stage's kind.
  const sla = definition.stages.map(({ id, sla: s }) =>
    'behindAfterDays' in s
      ? Prisma.sql`(${id}, false, ${s.behindAfterDays}::float8, ${s.stuckAfterDays}::float8)`
      : Prisma.sql`(${id}, true, ${s.behindDaysBeforeContractEnd}::float8, ${s.stuckDaysBeforeContractEnd}::float8)`,
  );
  const rows = await prisma.$queryRaw<{ stage: string; customers: number; median: number | null; behind: number; stuck: number }[]>`
    WITH sla(stage, before_end, behind, stuck) AS (VALUES ${Prisma.join(sla)}),
    -- One pass over the moves, hash-joined: a correlated sub-select per customer was run once for
    -- every use of days below (four times a customer) and costed high enough to be JIT-compiled.
    entered AS (SELECT customer_id, to_stage, max(occurred_at) AS at FROM stage_transitions GROUP BY 1, 2),
    inStage AS (
      SELECT c.stage,
        EXTRACT(EPOCH FROM (now() - COALESCE(e.at, c.contract_start, c.created_at))) / 86400 AS days,
        EXTRACT(EPOCH FROM (c.contract_end - now())) / 86400 AS days_to_end
      FROM customers c LEFT JOIN entered e ON e.customer_id = c.id AND e.to_stage = c.stage
      WHERE ${where(filter)}
    )
    SELECT i.stage, count(*)::int AS customers,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY i.days) AS median,
      count(*) FILTER (WHERE CASE WHEN s.before_end THEN i.days_to_end <= s.behind AND i.days_to_end > s.stuck
                                  ELSE i.days >= s.behind AND i.days < s.stuck END)::int AS behind,
      count(*) FILTER (WHERE CASE WHEN s.before_end THEN i.days_to_end <= s.stuck ELSE i.days >= s.stuck END)::int AS stuck
    FROM inStage i LEFT JOIN sla s ON s.stage = i.stage
    GROUP BY i.stage`;
  const byStage = new Map(rows.map((r) => [r.stage, r]));
  return [...STAGE_IDS, ...rows.map((r) => r.stage).filter((s) => !(STAGE_IDS as readonly string[]).includes(s))].map((stage) => {
    const r = byStage.get(stage);
    return {
      stage,
      customers: r?.customers ?? 0,
      medianDaysInStage: r?.median == null ? null : Math.round(Number(r.median) * 10) / 10,
      behind: r?.behind ?? 0,
      stuck: r?.stuck ?? 0,
    };
  });
}

export interface CustomerRow {
  customerId: string;
  name: string;
  segment: string | null;
  csmOwner: string | null;
  stage: string;
  arr: number;
  healthScore: number | null;
  healthBand: string | null;
  renewalDate: string | null;
}

const customerColumns = Prisma.sql`c.id AS "customerId", c.name, c.segment, c.csm_owner AS "csmOwner", c.stage, c.arr::text AS arr,
  c.health_score AS "healthScore", c.health_band AS "healthBand", c.contract_end AS "renewalDate"`;
type RawCustomerRow = Omit<CustomerRow, 'arr' | 'renewalDate'> & { arr: string; renewalDate: Date | null };
const toRow = (r: RawCustomerRow): CustomerRow => ({ ...r, arr: Number(r.arr), renewalDate: r.renewalDate?.toISOString() ?? null });

/** Timestamps as `Date.toISOString` writes them (the columns hold UTC without a zone). */
const ISO_UTC = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';
const STAKEHOLDERS_LEFT_LIMIT = 10;

/** Renewals inside the window, soonest first, at most `limit`; `total` counts them all. */
export async function upcomingRenewals(prisma: PrismaClient, filter: PortfolioFilter, days = RENEWAL_DAYS, limit = LIST_LIMIT) {
  // One statement: the window totals are taken over every matching row before LIMIT cuts the list.
  const rows = await prisma.$queryRaw<(RawCustomerRow & { total: number; totalArr: string })[]>`
    SELECT ${customerColumns}, count(*) OVER ()::int AS total, COALESCE(sum(c.arr) OVER (), 0)::text AS "totalArr"
    FROM customers c
    WHERE ${where(filter)} AND c.contract_end >= now() AND c.contract_end <= now() + make_interval(days => ${days}::int)
    ORDER BY c.contract_end, c.id LIMIT ${limit}`;
  return { days, total: rows[0]?.total ?? 0, arr: Number(rows[0]?.totalArr ?? 0), customers: rows.map(({ total: _, totalArr: __, ...r }) => toRow(r)) };
}

export interface AtRiskRow extends CustomerRow {
  /** The latest health result's dimensions (with every input's value and score), for the reasons. */
  dimensions: DimensionResult[];
  stakeholdersLeft: { role: string; name: string; leftAt: string }[];
}

/**
 * Red customers by ARR, largest first, with their latest health inputs and who left them: one
 * statement, the look-ups run only for the rows the limit keeps, the total counted before it.
 */
export async function atRiskCustomers(prisma: PrismaClient, filter: PortfolioFilter, limit = LIST_LIMIT) {
  const rows = await prisma.$queryRaw<(RawCustomerRow & { total: number; contributions: unknown; stakeholdersLeft: AtRiskRow['stakeholdersLeft'] | null })[]>`
    SELECT r.*, h.contributions, s.left AS "stakeholdersLeft"
    FROM (
      SELECT ${customerColumns}, count(*) OVER ()::int AS total
      FROM customers c WHERE ${where(filter, { band: false })} AND c.health_band = 'red'
      ORDER BY c.arr DESC, c.id LIMIT ${limit}
    ) r
    LEFT JOIN LATERAL (
      SELECT contributions FROM health_snapshots h WHERE h.customer_id = r."customerId" ORDER BY h.computed_at DESC LIMIT 1
    ) h ON true
    -- The most recent few who left, oldest first (a reason names the last champion or sponsor).
    LEFT JOIN LATERAL (
      SELECT json_agg(json_build_object('role', l.role, 'name', l.name, 'leftAt', to_char(l.left_at, ${ISO_UTC})) ORDER BY l.left_at) AS left
      FROM (
        SELECT role, name, left_at FROM stakeholders
        WHERE customer_id = r."customerId" AND left_at IS NOT NULL AND role IN ('champion', 'executive_sponsor')
        ORDER BY left_at DESC LIMIT ${STAKEHOLDERS_LEFT_LIMIT}
      ) l
    ) s ON true
    ORDER BY r.arr::numeric DESC, r."customerId"`;
  const customers: AtRiskRow[] = rows.map(({ contributions, stakeholdersLeft: left, total: _, ...r }) => ({
    ...toRow(r),
    dimensions: Array.isArray(contributions) ? (contributions as DimensionResult[]) : [],
    stakeholdersLeft: left ?? [],
  }));
  return { total: rows[0]?.total ?? 0, customers };
}

/** Champions and sponsors who left, by customer (the few a reason may name). */
export async function stakeholdersLeft(prisma: PrismaClient, customerIds: string[]) {
  const byCustomer = new Map<string, { role: string; name: string; leftAt: string }[]>();
  if (customerIds.length === 0) return byCustomer;
  const rows = await prisma.stakeholder.findMany({
    where: { customerId: { in: customerIds }, leftAt: { not: null }, role: { in: ['champion', 'executive_sponsor'] } },
    select: { customerId: true, role: true, name: true, leftAt: true },
    orderBy: { leftAt: 'asc' },
    take: customerIds.length * 10,
  });
  for (const r of rows) {
    const list = byCustomer.get(r.customerId) ?? [];
    list.push({ role: r.role, name: r.name, leftAt: r.leftAt!.toISOString() });
    byCustomer.set(r.customerId, list);
  }
  return byCustomer;
}

/** The values the filters offer: distinct segments and CSMs (bounded). */
export async function filterChoices(prisma: PrismaClient) {
  const [segments, csms] = await Promise.all([
    prisma.customer.groupBy({ by: ['segment'], orderBy: { segment: 'asc' }, take: 100 }),
    prisma.customer.groupBy({ by: ['csmOwner'], orderBy: { csmOwner: 'asc' }, take: 500 }),
  ]);
  return {
    segments: segments.flatMap((s) => (s.segment ? [s.segment] : [])),
    csms: csms.flatMap((s) => (s.csmOwner ? [s.csmOwner] : [])),
  };
}
