/**
 * What the engine knows about one customer, and how each event changes it. A pure reducer: the
 * workflow applies events through it, tests drive it directly. Only facts live here; judgements
 * (metrics, health, stage) are derived from them elsewhere, so a definition change re-judges the
 * same facts. Sandbox-safe.
 */
import type { TCustomerEvent, TCustomerHandoff, TStakeholder } from './customer-events';

export interface StakeholderFact extends TStakeholder {
  engaged: boolean;
  addedAt: string;
}

export interface CustomerFacts {
  customerId: string;
  name: string;
  arr: number;
  complexity: 'low' | 'medium' | 'high';
  segmentOverride?: string;
  contractStart: string;
  contractEnd: string;
  contractStatus: 'active' | 'churned';
  /**
   * Which contract term the customer is in (1 from the handoff, +1 per renewal) and when it began:
   * the renewal ladder fires once per term. Absent in state carried by older runs: term 1, from the
   * contract start.
   */
  contractTerm?: number;
  termStartedAt?: string;
  /**
   * The contract end in force from each moment on (oldest first, at most MAX_CONTRACT_END_CHANGES),
   * so a time-relative criterion is judged against the end in force when its milestone occurred.
   * Absent in state carried by older runs: the current end is used.
   */
  contractEnds?: { from: string; end: string }[];
  csmOwner: string;
  successCriteria: string[];
  goals: string[];
  seatsPurchased?: number;
  seatsUsed?: number;
  activeUsers?: number;
  lastLoginAt?: string;
  keyFeaturesUsed: string[];
  /** Logins per UTC day, last 60 days only (enough for a 30-vs-30-day trend). */
  dailyLogins: Record<string, number>;
  openTickets: Record<string, { severity: string; openedAt: string }>;
  /** When high or urgent tickets were opened, last 60 days only. */
  highSeverityOpenedAt: string[];
  surveys: Partial<Record<'nps' | 'csat' | 'ces', { score: number; at: string }>>;
  milestones: Record<string, string>;
  stakeholders: Record<string, StakeholderFact>;
  /** When the last champion left or moved to another role; absent in state carried by older runs. */
  championLeftAt?: string;
  /**
   * False until an `engaged` or `disengaged` event arrives: until then engagement is unknown, not
   * zero (health re-weights it away). Absent in state from older runs, where it was always known.
   */
  engagementRecorded?: boolean;
  payment: 'current' | 'late' | 'failed';
  csmSentiment?: { score: number; at: string; by: string };
}

const DAY_MS = 24 * 60 * 60 * 1000;
const KEEP_DAYS = 60;
/** Contract-end changes remembered; a sender moving the date daily cannot grow the state forever. */
export const MAX_CONTRACT_END_CHANGES = 50;
/**
 * Distinct feature names remembered per customer. A definition names a handful of key features;
 * the cap keeps a sender that invents a new name per event from growing the carried state forever.
 */
export const MAX_REMEMBERED_FEATURES = 1_000;
/** Feature names spelled out in one timeline entry; the rest are counted. */
const FEATURES_IN_SUMMARY = 10;

export interface ApplyOptions {
  /**
   * The workflow's clock, for pruning the rolling windows: pruning relative to the event's own date
   * let one event dated 9999-12-31 erase the login history. Absent in histories recorded before.
   */
  now?: string;
  /**
   * A stakeholder `added` is known, not engaged: only an `engaged` event is evidence. False in
   * histories recorded before (they counted every added stakeholder as engaged).
   */
  engagementNeedsEvidence?: boolean;
}

export interface HandoffOptions {
  /** Histories recorded before counted the handoff's named stakeholders as engaged; new ones do not. */
  stakeholdersEngaged?: boolean;
}

/**
 * The facts the sales handoff gives. Stakeholders named in it are known, not engaged: CS has not met
 * them yet, and an `engaged` stakeholder event is what says it did.
 */
export function factsFromHandoff(handoff: TCustomerHandoff, receivedAt: string, options: HandoffOptions = {}): CustomerFacts {
  const engaged = (s: TStakeholder) => (options.stakeholdersEngaged ? s.role !== 'other' : false);
  return {
    customerId: handoff.customerId,
    name: handoff.name,
    arr: handoff.arr,
    complexity: handoff.complexity,
    segmentOverride: handoff.segment,
    contractStart: handoff.contractStart,
    contractEnd: handoff.contractEnd,
    contractStatus: 'active',
    contractTerm: 1,
    termStartedAt: handoff.contractStart,
    contractEnds: [{ from: handoff.contractStart, end: handoff.contractEnd }],
    csmOwner: handoff.csmOwner,
    successCriteria: handoff.successCriteria,
    goals: handoff.goals,
    seatsPurchased: handoff.seatsPurchased,
    keyFeaturesUsed: [],
    dailyLogins: {},
    openTickets: {},
    highSeverityOpenedAt: [],
    surveys: {},
    milestones: {},
    stakeholders: Object.fromEntries(handoff.stakeholders.map((s) => [s.id, { ...s, engaged: engaged(s), addedAt: receivedAt }])),
    payment: 'current',
    ...(options.stakeholdersEngaged ? {} : { engagementRecorded: false }),
  };
}

/** What an event changed, in words, for the timeline ("why did this happen?"). */
export type FactChange = string;

/** Applies one event in place and says what changed; an event that changes nothing returns []. */
export function applyEvent(facts: CustomerFacts, event: TCustomerEvent, options: ApplyOptions = {}): FactChange[] {
  const pruneAt = options.now ?? event.occurredAt;
  const bounded = options.now !== undefined;
  switch (event.type) {
    case 'usage': {
      const day = event.occurredAt.slice(0, 10);
      const hadDay = Object.prototype.hasOwnProperty.call(facts.dailyLogins, day);
      facts.dailyLogins[day] = (facts.dailyLogins[day] ?? 0) + event.logins;
      noteLogins(facts.dailyLogins, day, !hadDay);
      const loginAt = event.lastLoginAt ?? (event.logins > 0 ? event.occurredAt : undefined);
      if (loginAt && (!facts.lastLoginAt || loginAt > facts.lastLoginAt)) facts.lastLoginAt = loginAt;
      if (event.activeUsers !== undefined) facts.activeUsers = event.activeUsers;
      if (event.seatsUsed !== undefined) facts.seatsUsed = event.seatsUsed;
      if (event.seatsPurchased !== undefined) facts.seatsPurchased = event.seatsPurchased;
      // A set, not includes() per name: linear in the event and the features known, whatever their number.
      const known = new Set(facts.keyFeaturesUsed);
      const newFeatures: string[] = [];
      for (const feature of event.keyFeaturesUsed) {
        // The cap and the short summary hold from validate-arrivals-v1 on (`now` given): histories
        // recorded before replay with the unbounded list and the full summary they were written with.
        if (known.has(feature) || (bounded && known.size >= MAX_REMEMBERED_FEATURES)) continue;
        known.add(feature);
        newFeatures.push(feature);
      }
      facts.keyFeaturesUsed.push(...newFeatures);
      pruneOld(facts, pruneAt);
      const shown = bounded ? FEATURES_IN_SUMMARY : newFeatures.length;
      const named = newFeatures.slice(0, shown).join(', ');
      const more = newFeatures.length > shown ? ` and ${newFeatures.length - shown} more` : '';
      return [
        `usage: ${event.logins} logins` +
          (event.activeUsers !== undefined ? `, ${event.activeUsers} active users` : '') +
          (newFeatures.length ? `, first use of ${named}${more}` : ''),
      ];
    }
    case 'ticket': {
      const high = event.severity === 'high' || event.severity === 'urgent';
      if (event.action === 'resolved') {
        if (!facts.openTickets[event.ticketId]) return [];
        delete facts.openTickets[event.ticketId];
        return [`ticket ${event.ticketId} resolved`];
      }
      const known = facts.openTickets[event.ticketId];
      if (event.action === 'opened' && !known && high) facts.highSeverityOpenedAt.push(event.occurredAt);
      facts.openTickets[event.ticketId] = { severity: event.severity, openedAt: known?.openedAt ?? event.occurredAt };
      pruneOld(facts, pruneAt);
      return [`ticket ${event.ticketId} ${known ? 'updated' : 'opened'} (${event.severity})`];
    }
    case 'survey':
      facts.surveys[event.survey] = { score: event.score, at: event.occurredAt };
      return [`${event.survey.toUpperCase()} ${event.score}`];
    case 'milestone':
      if (facts.milestones[event.milestone]) return [];
      facts.milestones[event.milestone] = event.occurredAt;
      return [`milestone ${event.milestone}`];
    case 'stakeholder': {
      const { stakeholder } = event;
      const known = facts.stakeholders[stakeholder.id];
      switch (event.action) {
        case 'left':
          if (!known) return [];
          delete facts.stakeholders[stakeholder.id];
          if (known.role === 'champion') facts.championLeftAt = event.occurredAt;
          return [`${known.role} ${known.name} left`];
        case 'engaged':
        case 'disengaged':
          if (facts.engagementRecorded === false) facts.engagementRecorded = true;
          facts.stakeholders[stakeholder.id] = {
            ...(known ?? { ...stakeholder, addedAt: event.occurredAt }),
            engaged: event.action === 'engaged',
          };
          return [`${stakeholder.name} ${event.action}`];
        default:
          // A champion who takes another role is a champion lost, as for one who leaves.
          if (known?.role === 'champion' && stakeholder.role !== 'champion') facts.championLeftAt = event.occurredAt;
          facts.stakeholders[stakeholder.id] = {
            ...stakeholder,
            engaged: known?.engaged ?? !options.engagementNeedsEvidence,
            addedAt: known?.addedAt ?? event.occurredAt,
          };
          return [`${(known ?? stakeholder).role} ${stakeholder.name} ${known ? `now ${stakeholder.role}` : 'added'}`];
      }
    }
    case 'contract': {
      const changes: FactChange[] = [];
      if (event.contractEnd && event.contractEnd !== facts.contractEnd) {
        changes.push(`contract end ${facts.contractEnd.slice(0, 10)} -> ${event.contractEnd.slice(0, 10)}`);
        facts.contractEnd = event.contractEnd;
        if (facts.contractEnds) {
          facts.contractEnds.push({ from: event.occurredAt, end: event.contractEnd });
          if (facts.contractEnds.length > MAX_CONTRACT_END_CHANGES) facts.contractEnds.splice(0, facts.contractEnds.length - MAX_CONTRACT_END_CHANGES);
        }
      }
      if (event.arr !== undefined && event.arr !== facts.arr) {
        changes.push(`ARR ${facts.arr} -> ${event.arr}`);
        facts.arr = event.arr;
      }
      if (event.action === 'churned') {
        facts.contractStatus = 'churned';
        changes.push('churned');
      } else if (event.action === 'renewed') {
        facts.contractStatus = 'active';
        // A new term: its renewal ladder starts afresh. It begins when the engine learns of it (the
        // workflow's clock), so every rung fired before belongs to the term before.
        facts.contractTerm = (facts.contractTerm ?? 1) + 1;
        facts.termStartedAt = options.now ?? event.occurredAt;
        changes.push('renewed');
      }
      return changes;
    }
    case 'payment':
      if (facts.payment === event.status) return [];
      facts.payment = event.status;
      return [`payment ${event.status}`];
  }
}

function pruneOld(facts: CustomerFacts, nowIso: string): void {
  const cutoff = Date.parse(nowIso) - KEEP_DAYS * DAY_MS;
  const days = loginDays(facts.dailyLogins);
  let kept = 0;
  for (let i = 0; i < days.days.length; i += 1) {
    // A day that does not parse (never written by this code) is dropped rather than kept forever.
    if (!(days.starts[i]! >= cutoff)) {
      delete facts.dailyLogins[days.days[i]!];
      continue;
    }
    // Deleting keeps the other keys' order, so the parsed days stay in step with the record.
    days.days[kept] = days.days[i]!;
    days.starts[kept] = days.starts[i]!;
    days.logins[kept] = days.logins[i]!;
    kept += 1;
  }
  days.days.length = days.starts.length = days.logins.length = kept;
  facts.highSeverityOpenedAt = facts.highSeverityOpenedAt.filter((at) => Date.parse(at) >= cutoff);
}

/** `dailyLogins` parsed: its days, their starts (ms, NaN when a day does not parse) and logins, in the record's order. */
export interface LoginDays {
  days: string[];
  starts: number[];
  logins: number[];
}

/**
 * The parsed login days of each `dailyLogins` record, kept until this module changes the record.
 * Metrics read the login trend several times per activation and at every instant the lean step
 * considers; parsing sixty day keys each time was the largest single cost of a simulated step.
 * Outside the carried state (keyed by the record itself, forgotten with it), so a record loaded
 * from a carried state is simply parsed on first use. Sound only because `applyEvent` is the one
 * writer of `dailyLogins`: code that changes the record elsewhere must drop its entry here.
 */
const loginDaysCache = new WeakMap<Record<string, number>, LoginDays>();

/** A UTC day's start, memoised (the same sixty day strings come back every activation). Bounded. */
const dayStarts = new Map<string, number>();
function dayStart(day: string): number {
  let at = dayStarts.get(day);
  if (at === undefined) {
    if (dayStarts.size >= 4_096) dayStarts.clear();
    at = Date.parse(`${day}T00:00:00Z`);
    dayStarts.set(day, at);
  }
  return at;
}

/** `dailyLogins` parsed (see `loginDaysCache`); do not change the result. */
export function loginDays(dailyLogins: Record<string, number>): LoginDays {
  let days = loginDaysCache.get(dailyLogins);
  if (!days) {
    days = { days: [], starts: [], logins: [] };
    for (const day of Object.keys(dailyLogins)) {
      days.days.push(day);
      days.starts.push(dayStart(day));
      days.logins.push(dailyLogins[day]!);
    }
    loginDaysCache.set(dailyLogins, days);
  }
  return days;
}

/**
 * After `dailyLogins[day]` was written: the kept parse follows. A new day (`YYYY-MM-DD`) goes last
 * in the record's key order, as in the parse; any other new key (an array index orders first) drops
 * the parse, to be redone on next use.
 */
function noteLogins(dailyLogins: Record<string, number>, day: string, added: boolean): void {
  const days = loginDaysCache.get(dailyLogins);
  if (!days) return;
  if (added && /^\d{4}-\d{2}-\d{2}$/.test(day)) {
    days.days.push(day);
    days.starts.push(dayStart(day));
    days.logins.push(dailyLogins[day]!);
    return;
  }
  const at = added ? -1 : days.days.indexOf(day);
  if (at === -1) loginDaysCache.delete(dailyLogins);
  else days.logins[at] = dailyLogins[day]!;
}

/** The contract end in force at `at`: the latest change from at or before it (see `contractEnds`). */
export function contractEndAt(facts: CustomerFacts, at: string): string {
  const history = facts.contractEnds;
  if (!history || history.length === 0) return facts.contractEnd;
  const t = Date.parse(at);
  let found: { from: string; end: string } | undefined;
  for (const entry of history) {
    if (Date.parse(entry.from) <= t && (!found || Date.parse(entry.from) >= Date.parse(found.from))) found = entry;
  }
  return (found ?? history[0]!).end;
}
