/**
 * The demo portfolio `npm start` seeds: 50 customers with varied histories — healthy, stalled in
 * onboarding, at risk of churn, ready to expand, contracted and churned — so the Temporal UI, the
 * API, the plays and the metrics show something real on the first run. Deterministic (seeded by
 * index) and idempotent: a second start finds the customers and its events are duplicates.
 *
 * Histories are backdated: contracts began weeks to months ago and events carry past times, so
 * each workflow judges the customer as it stands today (past timers fire at once, past plays run).
 */
import type { Client } from '@temporalio/client';
import { DEFAULT_LIFECYCLE } from '../domain/default-lifecycle';
import { ZCustomerHandoff, type TCustomerEvent, type TCustomerHandoff } from '../domain/customer-events';
import type { PrismaClient } from '../generated/prisma/client';
import { acceptEvents } from '../ingest/accept-events';
import { createCustomer } from '../ingest/create-customer';
import { seededRandom } from '../util/seeded-random';

const DAY = 24 * 60 * 60 * 1000;
/** Distributes over the event union, so each event type keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Archetype = 'healthy' | 'stalled' | 'at_risk' | 'expansion_ready' | 'contracted' | 'churned';

/** 50 customers: how many of each kind. */
const MIX: [Archetype, number][] = [
  ['healthy', 20],
  ['stalled', 8],
  ['at_risk', 10],
  ['expansion_ready', 7],
  ['contracted', 3],
  ['churned', 2],
];
const NAMES = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Hooli',
  'Stark',
  'Wayne',
  'Wonka',
  'Tyrell',
  'Cyberdyne',
  'Soylent',
  'Vandelay',
  'Pied Piper',
  'Aperture',
  'Oscorp',
  'Massive Dynamic',
  'Gringotts',
  'Monarch',
  'Dunder',
  'Prestige',
];
const SUFFIXES = ['Analytics', 'Logistics', 'Health', 'Retail', 'Energy'];
const CSMS = ['dana@example.com', 'lee@example.com', 'sam@example.com', 'kim@example.com'];

export interface DemoCustomer {
  handoff: TCustomerHandoff;
  archetype: Archetype;
  events: TCustomerEvent[];
}

export function demoPortfolio(now: number): DemoCustomer[] {
  const customers: DemoCustomer[] = [];
  let index = 0;
  for (const [archetype, count] of MIX) {
    for (let k = 0; k < count; k += 1, index += 1) customers.push(demoCustomer(index, archetype, now));
  }
  return customers;
}

function demoCustomer(index: number, archetype: Archetype, now: number): DemoCustomer {
  const rand = seededRandom(index * 7919 + 11);
  const id = `demo-${String(index + 1).padStart(2, '0')}`;
  const arr = [8_000, 12_000, 25_000, 40_000, 60_000, 120_000][Math.floor(rand() * 6)]!;
  const seats = Math.max(10, Math.round(arr / 1_000));
  const ageDays =
    archetype === 'stalled' ? 12 + Math.floor(rand() * 40) : archetype === 'at_risk' ? 290 + Math.floor(rand() * 40) : 90 + Math.floor(rand() * 220);
  const start = now - ageDays * DAY;
  const at = (daysAfterStart: number) => new Date(Math.min(now - 60_000, start + daysAfterStart * DAY)).toISOString();
  const handoff = ZCustomerHandoff.parse({
    customerId: id,
    name: `${NAMES[index % NAMES.length]} ${SUFFIXES[Math.floor(index / NAMES.length) % SUFFIXES.length]} (demo)`,
    arr,
    contractStart: new Date(start).toISOString(),
    contractEnd: new Date(start + 365 * DAY).toISOString(),
    csmOwner: CSMS[index % CSMS.length],
    seatsPurchased: seats,
    timezone: ['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'UTC'][index % 4],
    stakeholders: [
      { id: 'champion', name: `Champion ${index + 1}`, role: 'champion', email: `champion@${id}.example` },
      { id: 'sponsor', name: `Sponsor ${index + 1}`, role: 'executive_sponsor', email: `sponsor@${id}.example` },
      { id: 'admin', name: `Admin ${index + 1}`, role: 'admin' },
    ],
    successCriteria: ['Weekly KPI review runs on dashboards', 'Alerts replace the manual report'],
    goals: ['Cut reporting time by half'],
    objections: index % 3 === 0 ? ['price per seat'] : [],
    competitors: index % 4 === 0 ? ['Gainsight'] : [],
  });

  const events: TCustomerEvent[] = [];
  let n = 0;
  const push = (event: WithoutId<TCustomerEvent>) => events.push({ ...event, id: `${id}:${++n}` } as TCustomerEvent);
  const milestone = (name: string, day: number) => push({ type: 'milestone', milestone: name, occurredAt: at(day) });
  const usageOn = (day: number, share: number, loginsAgoDays = 0) =>
    push({
      type: 'usage',
      logins: Math.round(seats * share * 3),
      activeUsers: Math.round(seats * share),
      seatsUsed: Math.max(1, Math.round(seats * share)),
      seatsPurchased: seats,
      // The default definition's six key features, so adoption is measured as the lifecycle sees it.
      keyFeaturesUsed: DEFAULT_LIFECYCLE.keyFeatures.slice(0, Math.max(1, Math.round(DEFAULT_LIFECYCLE.keyFeatures.length * share))),
      lastLoginAt: at(day - loginsAgoDays),
      occurredAt: at(day),
    });
  const survey = (kind: 'nps' | 'csat', score: number, day: number) => push({ type: 'survey', survey: kind, score, occurredAt: at(day) });
  const ticket = (severity: 'low' | 'medium' | 'high' | 'urgent', day: number, action: 'opened' | 'resolved' = 'opened') =>
    push({ type: 'ticket', ticketId: `T-${index}-${day}`, action, severity, occurredAt: at(day) });

  milestone('kickoff_held', 3);
  switch (archetype) {
    case 'stalled':
      usageOn(2, 0.1);
      break;
    case 'healthy':
    case 'expansion_ready':
    case 'contracted':
      milestone('setup_done', 7);
      milestone('training_done', 12);
      milestone('first_value', 20 + Math.floor(rand() * 20));
      milestone('core_training_done', 50);
      usageOn(Math.max(1, ageDays - 35), 0.7);
      usageOn(ageDays, 0.75 + rand() * 0.2);
      survey('nps', 8 + Math.floor(rand() * 3), Math.min(ageDays, 80));
      survey('csat', 4 + Math.round(rand() * 10) / 10, Math.min(ageDays, 80));
      if (ageDays > 100) milestone('value_review', 95);
      if (ageDays > 100) milestone('qbr_held', 92);
      if (archetype === 'expansion_ready') {
        milestone('roi_documented', Math.min(ageDays, 110));
        milestone('business_case', Math.min(ageDays, 115));
        push({ type: 'contract', action: 'expanded', arr: Math.round(arr * 1.3), occurredAt: at(Math.min(ageDays, 118)) });
      }
      // Recent, so the default 90-day metrics window shows contraction (and churn, below) beside expansion.
      if (archetype === 'contracted') push({ type: 'contract', action: 'contracted', arr: Math.round(arr * 0.7), occurredAt: at(ageDays - 20) });
      // The renewal run-up (T-90) for the older healthy customers, and the expansion-ready ones'
      // conversation: with it they leave retention. Last in the list, as the at-risk ones' below.
      if (archetype === 'expansion_ready' || (archetype === 'healthy' && ageDays > 270)) {
        milestone('renewal_conversation_started', Math.min(ageDays, archetype === 'healthy' ? 275 : 100));
      }
      break;
    case 'at_risk':
      milestone('setup_done', 10);
      milestone('first_value', 45);
      usageOn(ageDays - 60, 0.6);
      usageOn(ageDays - 20, 0.1, 20 + Math.floor(rand() * 15));
      survey('nps', 2 + Math.floor(rand() * 4), ageDays - 30);
      survey('csat', 2, ageDays - 30);
      ticket('high', ageDays - 40);
      ticket('urgent', ageDays - 25);
      ticket('high', ageDays - 10);
      if (index % 2 === 0) push({ type: 'payment', status: 'late', occurredAt: at(ageDays - 5) });
      // Onboarded long ago, so they are at risk in retention rather than stuck in onboarding. Last in
      // the list: event ids are numbered in order, and a data folder seeded before keeps its ids.
      milestone('training_done', 14);
      milestone('core_training_done', 60);
      break;
    case 'churned':
      milestone('setup_done', 10);
      usageOn(60, 0.2, 10);
      push({ type: 'contract', action: 'churned', occurredAt: at(Math.max(61, ageDays - 15)) });
      break;
  }
  // CS met the champion and the sponsor at the kickoff: named at the handoff is not engaged, and
  // expansion needs two engaged. Last in the list, so a data folder seeded before keeps its ids.
  if (archetype !== 'stalled' && archetype !== 'churned') {
    for (const who of handoff.stakeholders.filter((s) => s.role !== 'admin'))
      push({ type: 'stakeholder', action: 'engaged', stakeholder: who, occurredAt: at(3) });
  }
  return { handoff, archetype, events };
}

/** Starts every demo customer (existing ones are kept) and sends its history; returns how many are new. */
export async function seedDemoPortfolio(
  deps: { prisma: PrismaClient; client: Client; taskQueue?: string },
  now = Date.now(),
  /** A part of the portfolio (tests that need a few of each kind, not all 50). */
  only: (customer: DemoCustomer) => boolean = () => true,
): Promise<{ customers: number; created: number }> {
  const portfolio = demoPortfolio(now).filter(only);
  let created = 0;
  // A few at a time: each start is a workflow task and a burst of plays on a 2-core laptop.
  for (let i = 0; i < portfolio.length; i += 5) {
    await Promise.all(
      portfolio.slice(i, i + 5).map(async ({ handoff, archetype, events }) => {
        const result = await createCustomer(deps, handoff, { ifExists: 'keep', summary: `${handoff.name}: demo, ${archetype.replace('_', ' ')}` });
        if (result.created) created += 1;
        // A second start dates the same history relative to a later "now": the ids it recorded
        // before are the same events, so they are not sent again (a changed payload would be a 409).
        const recorded = new Set(
          (await deps.prisma.ingestedEvent.findMany({ where: { customerId: handoff.customerId }, select: { idempotencyKey: true } })).map(
            (row) => row.idempotencyKey,
          ),
        );
        const missing = events.filter((event) => !recorded.has(event.id));
        if (missing.length > 0)
          await acceptEvents(
            deps,
            missing.map((event) => ({ customerId: handoff.customerId, event })),
            'demo',
          );
      }),
    );
  }
  return { customers: portfolio.length, created };
}
