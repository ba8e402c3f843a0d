/**
 * Seeds a large portfolio's read-model rows straight into the database (no workflows), so the
 * portfolio metrics can be measured at 10,000 customers in seconds: customers, contract terms, the
 * ARR ledger, surveys, ingested events (usage noise and milestones, first value among them), health
 * snapshots and stage history. Each chunk is one multi-row INSERT from a JSON recordset: Prisma's
 * `createMany` took about 5 ms a row here, which would make 10,000 customers a half-hour job.
 * Deterministic for a given seed and `now`. Used by `bench:portfolio-metrics` and, small, by the test that checks the SQL metrics
 * against the pure formulas.
 */
import type { PrismaClient } from '../generated/prisma/client';
import { seededRandom } from '../util/seeded-random';

const DAY = 24 * 60 * 60 * 1000;
const SEGMENTS = [
  { id: 'enterprise', share: 0.3, arr: [50_000, 400_000] },
  { id: 'mid_market', share: 0.3, arr: [15_000, 50_000] },
  { id: 'tech_touch', share: 0.4, arr: [1_000, 15_000] },
] as const;
const STAGES = ['onboarding', 'adoption', 'retention', 'expansion', 'advocacy'] as const;
const BANDS = ['green', 'yellow', 'red'] as const;

/** A row by its database column names; Dates become ISO strings in the JSON. */
type Row = Record<string, unknown>;

export interface SeedOptions {
  customers: number;
  /** Usage events per customer in ingested_events (noise the first-value query must skip). */
  usageEventsPerCustomer?: number;
  seed?: number;
  now?: Date;
  idPrefix?: string;
  /** Rows per INSERT statement. */
  chunk?: number;
}

export interface SeedCounts {
  customers: number;
  contracts: number;
  arrMovements: number;
  surveyResponses: number;
  ingestedEvents: number;
  healthSnapshots: number;
  stageTransitions: number;
}

export async function seedPortfolio(prisma: PrismaClient, options: SeedOptions): Promise<SeedCounts> {
  const random = seededRandom(options.seed ?? 15);
  const now = (options.now ?? new Date()).getTime();
  const prefix = options.idPrefix ?? 'bench';
  const usagePerCustomer = options.usageEventsPerCustomer ?? 20;
  const chunk = options.chunk ?? 2_000;
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const between = (low: number, high: number) => low + random() * (high - low);
  const at = (ms: number) => new Date(Math.round(ms));
  const csms = Array.from({ length: 60 }, (_, i) => `csm${String(i).padStart(2, '0')}@example.com`);

  const customers: Row[] = [];
  const contracts: Row[] = [];
  const movements: Row[] = [];
  const surveys: Row[] = [];
  const events: Row[] = [];
  const snapshots: Row[] = [];
  const transitions: Row[] = [];

  for (let i = 0; i < options.customers; i++) {
    const id = `${prefix}-${String(i).padStart(6, '0')}`;
    const roll = random();
    const segment = roll < SEGMENTS[0].share ? SEGMENTS[0] : roll < SEGMENTS[0].share + SEGMENTS[1].share ? SEGMENTS[1] : SEGMENTS[2];
    const startArr = Math.round(between(segment.arr[0], segment.arr[1]) * 100) / 100;
    // Contracts began up to three years ago, one-year terms renewed: the current term ends within a year.
    const contractStart = now - between(10, 3 * 365) * DAY;
    const termsSince = Math.floor((now - contractStart) / (365 * DAY));
    const contractEnd = contractStart + (termsSince + 1) * 365 * DAY;
    const churned = random() < 0.08;
    let arr = startArr;
    const key = (kind: string, n: number) => `${id}:${kind}:${n}`;
    movements.push({ id: key('arr', 0), idempotency_key: key('arr', 0), customer_id: id, kind: 'new', amount: startArr, occurred_at: at(contractStart) });
    const changes = Math.floor(random() * 4);
    for (let n = 1; n <= changes; n++) {
      const when = between(contractStart, now - DAY);
      const grow = random() < 0.6;
      const amount = Math.round(arr * between(0.05, 0.3) * 100) / 100;
      arr = grow ? arr + amount : arr - amount;
      movements.push({
        id: key('arr', n),
        idempotency_key: key('arr', n),
        customer_id: id,
        kind: grow ? 'expansion' : 'contraction',
        amount,
        occurred_at: at(when),
      });
    }
    if (churned) {
      movements.push({
        id: key('arr', 9),
        idempotency_key: key('arr', 9),
        customer_id: id,
        kind: 'churn',
        amount: Math.round(arr * 100) / 100,
        occurred_at: at(between(now - 200 * DAY, now - DAY)),
      });
    }
    const band = random() < 0.05 ? null : pick(BANDS);
    const score = band === null ? null : band === 'green' ? between(80, 100) : band === 'yellow' ? between(60, 80) : between(20, 60);
    const stage = pick(STAGES);
    customers.push({
      id,
      name: `Bench customer ${i}`,
      segment: random() < 0.02 ? null : segment.id,
      arr: churned ? 0 : Math.round(arr * 100) / 100,
      csm_owner: random() < 0.03 ? null : pick(csms),
      contract_start: random() < 0.02 ? null : at(contractStart),
      contract_end: at(contractEnd),
      contract_status: churned ? 'churned' : 'active',
      stage,
      health_score: score === null ? null : Math.round(score * 10) / 10,
      health_band: band,
    });
    contracts.push({
      id: key('contract', 1),
      customer_id: id,
      term: 1,
      starts_at: at(contractStart),
      ends_at: at(contractEnd),
      arr: startArr,
      status: churned ? 'churned' : 'active',
    });
    for (let n = 0, surveysOf = Math.floor(random() * 4); n < surveysOf; n++) {
      surveys.push({
        id: key('nps', n),
        idempotency_key: key('nps', n),
        customer_id: id,
        survey: random() < 0.8 ? 'nps' : 'csat',
        score: Math.floor(random() * 11),
        occurred_at: at(between(Math.max(contractStart, now - 400 * DAY), now)),
      });
    }
    for (let n = 0; n < usagePerCustomer; n++) {
      const when = between(Math.max(contractStart, now - 90 * DAY), now);
      events.push({
        id: key('usage', n),
        idempotency_key: key('usage', n),
        customer_id: id,
        type: 'usage',
        payload: { type: 'usage', logins: Math.floor(random() * 30), activeUsers: Math.floor(random() * 50) },
        occurred_at: at(when),
        delivered_at: at(when + 1000),
      });
    }
    const milestones = ['kickoff_done', 'technical_setup', 'initial_training', 'first_value', 'value_review'];
    for (const [n, milestone] of milestones.entries()) {
      if (random() < 0.25) continue;
      const when = contractStart + (n + 1) * between(3, 40) * DAY;
      if (when > now) continue;
      events.push({
        id: key('milestone', n),
        idempotency_key: key('milestone', n),
        customer_id: id,
        type: 'milestone',
        payload: { type: 'milestone', milestone },
        occurred_at: at(when),
        // A few events whose delivery never completed (not facts yet).
        delivered_at: random() < 0.03 ? null : at(when + 1000),
      });
    }
    for (let n = 0; n < 5; n++) {
      const snapshotBand = pick(BANDS);
      snapshots.push({
        id: key('health', n),
        idempotency_key: key('health', n),
        customer_id: id,
        score: Math.round(between(20, 100) * 10) / 10,
        band: snapshotBand,
        trend: pick(['up', 'flat', 'down']),
        model: segment.id === 'tech_touch' ? 'tech_touch' : 'default',
        contributions: { usage: Math.round(random() * 35), engagement: Math.round(random() * 25) },
        missing: [],
        definition_version: 'bench-1',
        computed_at: at(now - (5 - n) * 30 * DAY),
      });
    }
    const reached = STAGES.indexOf(stage);
    for (let n = 1; n <= reached; n++) {
      transitions.push({
        id: key('stage', n),
        idempotency_key: key('stage', n),
        customer_id: id,
        from_stage: STAGES[n - 1]!,
        to_stage: STAGES[n]!,
        cause_type: 'rule',
        reason: 'exit criteria met',
        definition_version: 'bench-1',
        occurred_at: at(Math.min(now - DAY, contractStart + n * 45 * DAY)),
      });
    }
  }

  // Parents first; each table in chunks, one statement per chunk. Columns left out take their defaults.
  const insert = async (table: string, rows: Row[]) => {
    const columns = Object.keys(rows[0] ?? {})
      .map((column) => `"${column}"`)
      .join(', ');
    for (let i = 0; i < rows.length; i += chunk) {
      const sql = `INSERT INTO "${table}" (${columns}) SELECT ${columns} FROM json_populate_recordset(null::"${table}", $1::json)`;
      await prisma.$executeRawUnsafe(sql, JSON.stringify(rows.slice(i, i + chunk)));
    }
  };
  await insert('customers', customers);
  for (const [table, rows] of [
    ['contracts', contracts],
    ['arr_movements', movements],
    ['survey_responses', surveys],
    ['ingested_events', events],
    ['health_snapshots', snapshots],
    ['stage_transitions', transitions],
  ] as const)
    await insert(table, rows);
  return {
    customers: customers.length,
    contracts: contracts.length,
    arrMovements: movements.length,
    surveyResponses: surveys.length,
    ingestedEvents: events.length,
    healthSnapshots: snapshots.length,
    stageTransitions: transitions.length,
  };
}
