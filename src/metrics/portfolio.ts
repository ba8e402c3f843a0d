/**
 * Portfolio metrics as pure functions over stored components, so each vendor's definition can be
 * computed from the same rows and every formula has a table-driven test:
 *   NRR = (starting ARR + expansion - contraction - churn) / starting ARR
 *   GRR = (starting ARR - contraction - churn) / starting ARR, never above 100 %
 *   NPS = % promoters (9-10) - % detractors (0-6)
 *   logo churn rate = cohort customers churned in the period / cohort customers
 *   time to value = first-value date - contract start (median and p90 by segment, interpolated)
 * The starting cohort is the customers with ARR before the period. Expansion, contraction and churn
 * ARR are the cohort's (what NRR and GRR are made of); new ARR, and churn of customers who arrived
 * during the period, are reported beside them so nothing that moved is invisible.
 *
 * The report over the database (portfolio-report.ts) has PostgreSQL compute the sums, counts and
 * percentiles; the `…From…` functions here turn those into the same results, and the row-based
 * functions go through them too, so both paths share one formula for every ratio and rounding.
 */
export type ArrKind = 'new' | 'expansion' | 'contraction' | 'churn';
export interface ArrMovementRow {
  customerId: string;
  kind: string;
  amount: number;
  occurredAt: Date;
}

export interface RetentionResult {
  from: string;
  to: string;
  startingArr: number;
  expansionArr: number;
  contractionArr: number;
  churnArr: number;
  /** null when the cohort had no ARR at the start (nothing to retain yet). */
  nrr: number | null;
  grr: number | null;
  cohortCustomers: number;
  /** Cohort customers who churned in the period, and their share of the cohort. */
  churnedCustomers: number;
  logoChurnRate: number | null;
  /** ARR of customers new in the period, and churn among them (outside NRR and GRR by definition). */
  newArr: number;
  newCustomerChurnArr: number;
}

const signed = (kind: string, amount: number) => (kind === 'new' || kind === 'expansion' ? amount : -amount);

/** The sums and counts retention is made of: from rows (`retention`) or from SQL aggregates. */
export interface RetentionTotals {
  startingArr: number;
  expansionArr: number;
  contractionArr: number;
  churnArr: number;
  cohortCustomers: number;
  churnedCustomers: number;
  newArr: number;
  newCustomerChurnArr: number;
}

export function retention(movements: ArrMovementRow[], from: Date, to: Date): RetentionResult {
  const arrAtStart = new Map<string, number>();
  for (const m of movements) {
    if (m.occurredAt < from) arrAtStart.set(m.customerId, (arrAtStart.get(m.customerId) ?? 0) + signed(m.kind, m.amount));
  }
  const cohort = new Set([...arrAtStart].filter(([, arr]) => arr > 0).map(([id]) => id));
  const inPeriod = movements.filter((m) => m.occurredAt >= from && m.occurredAt < to);
  const sum = (kind: ArrKind, inCohort = true) =>
    inPeriod.filter((m) => cohort.has(m.customerId) === inCohort && m.kind === kind).reduce((a, m) => a + m.amount, 0);
  const churned = new Set(inPeriod.filter((m) => m.kind === 'churn' && cohort.has(m.customerId)).map((m) => m.customerId));
  return retentionFromTotals(
    {
      startingArr: [...cohort].reduce((a, id) => a + arrAtStart.get(id)!, 0),
      expansionArr: sum('expansion'),
      contractionArr: sum('contraction'),
      churnArr: sum('churn'),
      cohortCustomers: cohort.size,
      churnedCustomers: churned.size,
      newArr: sum('new', false),
      newCustomerChurnArr: sum('churn', false),
    },
    from,
    to,
  );
}

export function retentionFromTotals(totals: RetentionTotals, from: Date, to: Date): RetentionResult {
  const { startingArr, expansionArr, contractionArr, churnArr, cohortCustomers, churnedCustomers } = totals;
  const ratio = (value: number) => (startingArr > 0 ? Math.round((value / startingArr) * 10_000) / 10_000 : null);
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    startingArr,
    expansionArr,
    contractionArr,
    churnArr,
    nrr: ratio(startingArr + expansionArr - contractionArr - churnArr),
    grr: startingArr > 0 ? Math.min(1, ratio(startingArr - contractionArr - churnArr)!) : null,
    cohortCustomers,
    churnedCustomers,
    logoChurnRate: cohortCustomers > 0 ? Math.round((churnedCustomers / cohortCustomers) * 10_000) / 10_000 : null,
    newArr: totals.newArr,
    newCustomerChurnArr: totals.newCustomerChurnArr,
  };
}

export function nps(scores: number[]): { score: number | null; responses: number; promoters: number; passives: number; detractors: number } {
  return npsFromCounts({ responses: scores.length, promoters: scores.filter((s) => s >= 9).length, detractors: scores.filter((s) => s <= 6).length });
}

/** NPS from the counts of responses, promoters (9-10) and detractors (0-6). */
export function npsFromCounts(counts: { responses: number; promoters: number; detractors: number }) {
  const { responses, promoters, detractors } = counts;
  const score = responses === 0 ? null : Math.round(((promoters - detractors) / responses) * 1000) / 10;
  return { score, responses, promoters, passives: responses - promoters - detractors, detractors };
}

/**
 * Percentile (p in 0..100) of sorted values, interpolated between ranks as spreadsheets'
 * PERCENTILE.INC does, so the median of [10, 20] is 15; rounded to a tenth.
 */
export function percentile(sortedValues: number[], p: number): number | null {
  if (sortedValues.length === 0) return null;
  const position = (p / 100) * (sortedValues.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sortedValues.length - 1);
  const value = sortedValues[lower]! + (position - lower) * (sortedValues[upper]! - sortedValues[lower]!);
  return Math.round(value * 10) / 10;
}

export function timeToValue(
  rows: { segment: string; days: number }[],
): Record<string, { customers: number; medianDays: number | null; p90Days: number | null }> {
  const bySegment = new Map<string, number[]>();
  for (const row of rows) bySegment.set(row.segment, [...(bySegment.get(row.segment) ?? []), row.days]);
  return timeToValueFromPercentiles(
    [...bySegment].map(([segment, days]) => {
      const sorted = [...days].sort((a, b) => a - b);
      return { segment, customers: sorted.length, medianDays: percentile(sorted, 50), p90Days: percentile(sorted, 90) };
    }),
  );
}

/**
 * Time to value from each segment's count and interpolated percentiles (PostgreSQL's
 * `percentile_cont` interpolates as `percentile` does): rounded to a tenth, segments in order.
 */
export function timeToValueFromPercentiles(
  rows: { segment: string; customers: number; medianDays: number | null; p90Days: number | null }[],
): Record<string, { customers: number; medianDays: number | null; p90Days: number | null }> {
  const tenth = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);
  return Object.fromEntries(
    [...rows]
      .sort((a, b) => a.segment.localeCompare(b.segment))
      .map((row) => [row.segment, { customers: row.customers, medianDays: tenth(row.medianDays), p90Days: tenth(row.p90Days) }]),
  );
}

export interface BookRow {
  csmOwner: string;
  segment: string;
  arr: number;
}

/** Each CSM's accounts and ARR, and their load against each segment's ratio (1.0 = a full book). */
export function booksOfBusiness(rows: BookRow[], ratioBySegment: Record<string, number>) {
  return booksOfBusinessFromGroups(
    rows.map((row) => ({ ...row, accounts: 1 })),
    ratioBySegment,
  );
}

/**
 * The same from accounts and ARR grouped by CSM and segment (SQL `GROUP BY`). Books with the same
 * load keep the order of their first group.
 */
export function booksOfBusinessFromGroups(groups: (BookRow & { accounts: number })[], ratioBySegment: Record<string, number>) {
  const books = new Map<string, { accounts: number; arr: number; load: number; bySegment: Record<string, number> }>();
  for (const group of groups) {
    const book = books.get(group.csmOwner) ?? { accounts: 0, arr: 0, load: 0, bySegment: {} };
    book.accounts += group.accounts;
    book.arr += group.arr;
    book.bySegment[group.segment] = (book.bySegment[group.segment] ?? 0) + group.accounts;
    const ratio = ratioBySegment[group.segment];
    if (ratio) book.load += group.accounts / ratio;
    books.set(group.csmOwner, book);
  }
  return [...books].map(([csmOwner, book]) => ({ csmOwner, ...book, load: Math.round(book.load * 1000) / 1000 })).sort((a, b) => b.load - a.load);
}
