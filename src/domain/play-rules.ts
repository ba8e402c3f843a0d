/**
 * The pure half of plays: which plays a customer's latest changes trigger (edges only), whether
 * the play's caps let it start, what a running play should be told (a milestone it waits for, its
 * goal reached), when quiet hours end, and how templates and recipients resolve. The customer
 * workflow decides with these; the play workflow acts. Deterministic given its inputs (time is
 * passed in), so it runs in the workflow sandbox and in table-driven tests alike.
 */
import type { TCustomerEvent } from './customer-events';
import type { CustomerFacts } from './customer-facts';
import type { HealthResult } from './health';
import { isScoredBand, type TCondition, type THealthBand, type TLifecycleDefinition, type TStageId } from './lifecycle-definition';
import {
  isCustomerFacing,
  triggersOf,
  type TFieldMatch,
  type TPlay,
  type TPlaySettings,
  type TSingleTrigger,
  type TRecipient,
  type TWaitFor,
} from './play-definition';
import type { Cause } from './lifecycle-state';
import type { SlaStatus } from './stage-rules';
import { conditionMet, type RuleContext } from './stage-rules';
import type { PlannedTimer } from './timer-plan';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

/** Something that happened in one evaluation and may trigger a play or matter to a running one. */
export type PlayOccurrence =
  | { kind: 'handoff' }
  | { kind: 'event'; event: TCustomerEvent }
  | { kind: 'timer'; timer: PlannedTimer }
  | { kind: 'stage'; from: TStageId; to: TStageId }
  | { kind: 'band'; from: THealthBand | null; to: THealthBand | null }
  | { kind: 'sla'; stage: TStageId; sla: SlaStatus };

/** What a running play is told by its customer's workflow. */
export type PlayObservation =
  | { kind: 'milestone'; milestone: string; at: string }
  | { kind: 'event'; eventType: TCustomerEvent['type']; id: string; at: string }
  | { kind: 'band'; band: THealthBand | null; at: string }
  | { kind: 'goal_met'; at: string };

export interface ActivePlayRun {
  runId: string;
  playId: string;
  startedAt: string;
  /** Observation keys its wait steps listen for (`milestone:x`, `event:type`, `band`). */
  listensFor: string[];
  goalNotified: boolean;
}

export interface PlayState {
  /** Numbers play runs for this customer; part of each run's workflow id, so ids never repeat. */
  nextRun: number;
  active: ActivePlayRun[];
  /** Per play: start times in the last 365 days, starts ever, last outcome. */
  history: Record<string, { starts: string[]; total: number; lastOutcome?: string }>;
  /** Last value of each condition trigger, so a condition fires on its false -> true edge only. */
  conditions: Record<string, boolean>;
}

export const emptyPlayState = (): PlayState => ({ nextRun: 1, active: [], history: {}, conditions: {} });

/** The same causes the timeline uses (type-only import: no runtime cycle). */
export type PlayCause = Cause;

export interface PlayDecision {
  play: TPlay;
  /** Why it fired, in words ("survey nps 3", "band yellow -> red"): shown in the UI and the timeline. */
  why: string;
  cause: PlayCause;
  /** Set when the play may start; otherwise `skipped` says why not. */
  runNumber?: number;
  skipped?: string;
}

// ---------------------------------------------------------------------------------------------
// Triggers

function fieldAt(event: TCustomerEvent, path: string): unknown {
  let value: unknown = event;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function fieldMatches(actual: unknown, expected: TFieldMatch): boolean {
  if (Array.isArray(expected)) return expected.includes(actual as never);
  if (expected !== null && typeof expected === 'object') {
    if (typeof actual !== 'number') return false;
    return (expected.lte === undefined || actual <= expected.lte) && (expected.gte === undefined || actual >= expected.gte);
  }
  return actual === expected;
}

function describeEvent(event: TCustomerEvent): string {
  switch (event.type) {
    case 'survey':
      return `${event.survey.toUpperCase()} ${event.score}`;
    case 'ticket':
      return `ticket ${event.ticketId} ${event.action} (${event.severity})`;
    case 'milestone':
      return `milestone ${event.milestone}`;
    case 'stakeholder':
      return `stakeholder ${event.stakeholder.name} (${event.stakeholder.role}) ${event.action.replace('_', ' ')}`;
    case 'contract':
      return `contract ${event.action.replace(/_/g, ' ')}`;
    case 'payment':
      return `payment ${event.status}`;
    case 'usage':
      return `usage ${event.logins} logins`;
  }
}

/** The occurrence that fires `trigger`, with words and a cause; undefined when none does. */
export function matchTrigger(
  trigger: TSingleTrigger,
  occurrences: PlayOccurrence[],
  evaluationCause: PlayCause,
): { why: string; cause: PlayCause } | undefined {
  for (const occurrence of occurrences) {
    switch (trigger.on) {
      case 'handoff':
        if (occurrence.kind === 'handoff') return { why: 'sales handoff', cause: evaluationCause };
        break;
      case 'event':
        if (
          occurrence.kind === 'event' &&
          occurrence.event.type === trigger.event &&
          Object.entries(trigger.match).every(([path, expected]) => fieldMatches(fieldAt(occurrence.event, path), expected))
        ) {
          const { event } = occurrence;
          return { why: describeEvent(event), cause: { type: 'event', id: event.id, eventType: event.type } };
        }
        break;
      case 'timer':
        if (occurrence.kind === 'timer' && occurrence.timer.kind === trigger.timer && (trigger.step === undefined || occurrence.timer.ref === trigger.step)) {
          return { why: `timer: ${occurrence.timer.label}`, cause: { type: 'timer', id: occurrence.timer.id } };
        }
        break;
      case 'stage_entered':
        if (occurrence.kind === 'stage' && occurrence.to === trigger.stage) {
          return { why: `entered ${trigger.stage} (from ${occurrence.from})`, cause: evaluationCause };
        }
        break;
      case 'stage_left':
        if (occurrence.kind === 'stage' && occurrence.from === trigger.stage) {
          return { why: `left ${trigger.stage} for ${occurrence.to}`, cause: evaluationCause };
        }
        break;
      case 'band_changed':
        if (occurrence.kind === 'band' && isScoredBand(occurrence.to) && trigger.to.includes(occurrence.to)) {
          return { why: `health band ${occurrence.from ?? 'none'} -> ${occurrence.to}`, cause: evaluationCause };
        }
        break;
      case 'sla':
        if (occurrence.kind === 'sla' && occurrence.sla === trigger.threshold && (trigger.stage === undefined || trigger.stage === occurrence.stage)) {
          return { why: `${occurrence.stage} is ${trigger.threshold} its SLA`, cause: evaluationCause };
        }
        break;
      case 'condition':
        break; // edge-detected by decidePlays, not by occurrence
    }
  }
  return undefined;
}

/** Why the caps forbid a start now, or undefined when the play may start. */
export function capBlocks(play: TPlay, state: PlayState, now: string): string | undefined {
  if (state.active.some((run) => run.playId === play.id)) return 'a run of this play is still in progress';
  const history = state.history[play.id];
  if (!history) return undefined;
  const nowMs = Date.parse(now);
  const last = history.starts.at(-1);
  if (last && play.caps.cooldownDays > 0 && nowMs - Date.parse(last) < play.caps.cooldownDays * DAY_MS) {
    const until = new Date(Date.parse(last) + play.caps.cooldownDays * DAY_MS).toISOString().slice(0, 10);
    return `cooling down until ${until} (${play.caps.cooldownDays} days between runs)`;
  }
  if (play.caps.maxTotal !== undefined && history.total >= play.caps.maxTotal) {
    return `already ran ${history.total} time(s), the most allowed`;
  }
  if (play.caps.maxPerYear !== undefined) {
    const inYear = history.starts.filter((at) => nowMs - Date.parse(at) < 365 * DAY_MS).length;
    if (inYear >= play.caps.maxPerYear) return `already ran ${inYear} time(s) in the last 365 days (cap ${play.caps.maxPerYear})`;
  }
  return undefined;
}

/**
 * Decides which plays start after one evaluation and records the starts in `state` (run numbers,
 * cap history, condition edges). Skips are returned too, so "why did it not fire?" has an answer.
 */
export function decidePlays(
  plays: TPlay[],
  state: PlayState,
  occurrences: PlayOccurrence[],
  ctx: RuleContext & { stage: TStageId },
  evaluationCause: PlayCause,
  now: string,
  options: { edgesWhileEligible?: boolean } = {},
): PlayDecision[] {
  const decisions: PlayDecision[] = [];
  for (const play of plays) {
    if (!play.enabled) continue;
    // Lean step: a play outside its stages neither fires nor tracks its conditions' edges, so a
    // condition flapping in a stage where the play cannot run does not wake the customer; on
    // entering one of its stages, a condition that holds (and did not when last tracked) fires it.
    if (options.edgesWhileEligible && play.stages && !play.stages.includes(ctx.stage)) continue;
    let fired: { why: string; cause: PlayCause } | undefined;
    triggersOf(play.trigger).forEach((trigger, index) => {
      if (trigger.on === 'condition') {
        // Every condition's edge is tracked, even when another trigger fired first.
        const key = play.trigger.on === 'any' ? `${play.id}#${index}` : play.id;
        const holds = conditionMet(trigger.when, ctx);
        const before = state.conditions[key] ?? false;
        state.conditions[key] = holds;
        if (holds && !before && !fired) {
          fired = { why: `condition met: ${conditionLabel(trigger.when)}`, cause: { type: 'rule', id: `play:${play.id}` } };
        }
      } else {
        fired ??= matchTrigger(trigger, occurrences, evaluationCause);
      }
    });
    if (!fired) continue;
    // Stage and guard filters are silent: they define the play, they are not a cap.
    if (play.stages && !play.stages.includes(ctx.stage)) continue;
    if (play.onlyIf && !conditionMet(play.onlyIf, ctx)) continue;
    const blocked = capBlocks(play, state, now);
    if (blocked) {
      decisions.push({ play, ...fired, skipped: blocked });
      continue;
    }
    const runNumber = state.nextRun++;
    const history = (state.history[play.id] ??= { starts: [], total: 0 });
    history.starts = [...history.starts.filter((at) => Date.parse(now) - Date.parse(at) < 365 * DAY_MS), now];
    history.total += 1;
    decisions.push({ play, ...fired, runNumber });
  }
  return decisions;
}

function conditionLabel(condition: TCondition): string {
  if (condition.label) return condition.label;
  switch (condition.kind) {
    case 'milestone':
      return condition.milestone;
    case 'metric':
      return `${condition.metric} ${condition.op} ${condition.value}`;
    case 'stakeholders':
      return `>= ${condition.min} ${condition.engaged ? 'engaged ' : ''}${condition.role ?? 'stakeholder'}s`;
    case 'band':
      return `band in ${condition.in.join('/')}`;
    case 'any':
      return condition.of.map(conditionLabel).join(' or ');
    case 'all':
      return condition.of.map(conditionLabel).join(' and ');
  }
}

// ---------------------------------------------------------------------------------------------
// Running plays: what they listen for, what to tell them

export function waitKey(waitFor: TWaitFor): string {
  if ('milestone' in waitFor) return `milestone:${waitFor.milestone}`;
  if ('event' in waitFor) return `event:${waitFor.event}`;
  return 'band';
}

export function listensFor(play: TPlay): string[] {
  return [...new Set(play.steps.flatMap((step) => (step.kind === 'wait' ? [waitKey(step.for)] : [])))];
}

/** The observations in this evaluation that a running play listens for. */
export function observationsFor(run: ActivePlayRun, occurrences: PlayOccurrence[], now: string): PlayObservation[] {
  const out: PlayObservation[] = [];
  for (const occurrence of occurrences) {
    if (occurrence.kind === 'event') {
      const { event } = occurrence;
      if (event.type === 'milestone' && run.listensFor.includes(`milestone:${event.milestone}`)) {
        out.push({ kind: 'milestone', milestone: event.milestone, at: event.occurredAt });
      } else if (run.listensFor.includes(`event:${event.type}`)) {
        out.push({ kind: 'event', eventType: event.type, id: event.id, at: event.occurredAt });
      }
    } else if (occurrence.kind === 'band' && run.listensFor.includes('band')) {
      out.push({ kind: 'band', band: occurrence.to, at: now });
    }
  }
  return out;
}

/** True when the play run has seen what `waitFor` waits for (or it already held when the run began). */
export function waitSatisfied(waitFor: TWaitFor, seen: PlayObservation[], atStart: { milestones: string[]; band: THealthBand | null }): boolean {
  if ('milestone' in waitFor) {
    return atStart.milestones.includes(waitFor.milestone) || seen.some((o) => o.kind === 'milestone' && o.milestone === waitFor.milestone);
  }
  if ('event' in waitFor) {
    return seen.some((o) => (o.kind === 'event' && o.eventType === waitFor.event) || (o.kind === 'milestone' && waitFor.event === 'milestone'));
  }
  const lastBand = [...seen].reverse().find((o) => o.kind === 'band');
  const band = lastBand && lastBand.kind === 'band' ? lastBand.band : atStart.band;
  return band !== null && waitFor.band.includes(band);
}

// ---------------------------------------------------------------------------------------------
// What a play run is given: the customer as it was when the play fired

export interface PlayCustomerContext {
  customerWorkflowId: string;
  customerId: string;
  name: string;
  arr: number;
  segment: string;
  stage: TStageId;
  csmOwner: string;
  contractEnd: string;
  timezone: string;
  health: { score: number | null; band: THealthBand | null; reasons: string[] } | null;
  stakeholders: { id: string; name: string; role: string; email?: string; engaged: boolean }[];
  milestones: string[];
  successCriteria: string[];
  goals: string[];
  objections: string[];
  competitors: string[];
  definitionVersion: string;
}

/**
 * "Why is it red?" in a line each: the hard conditions that hold (they decide the band whatever the
 * score), then the weakest inputs, worst first.
 */
export function healthReasons(health: HealthResult | null, limit = 3): string[] {
  if (!health) return [];
  const conditions = (health.conditions ?? []).map((c) => (c.cap ? `${c.label} (caps health at ${c.cap})` : `${c.label} (-${c.subtract} points)`));
  const inputs = health.dimensions
    .flatMap((dimension) =>
      dimension.inputs
        .filter((input) => input.score !== null)
        .map((input) => ({ text: `${dimension.label}: ${input.metric} = ${round(input.value)} (${Math.round(input.score!)}/100)`, score: input.score! })),
    )
    .sort((a, b) => a.score - b.score)
    .slice(0, limit)
    .map((reason) => reason.text);
  return [...conditions, ...inputs];
}

const round = (value: number | null) => (value === null ? '—' : Math.round(value * 100) / 100);

export function playCustomerContext(input: {
  customerWorkflowId: string;
  facts: CustomerFacts;
  segment: string;
  stage: TStageId;
  health: HealthResult | null;
  timezone?: string;
  objections?: string[];
  competitors?: string[];
  definition: TLifecycleDefinition;
}): PlayCustomerContext {
  const { facts, health, definition } = input;
  return {
    customerWorkflowId: input.customerWorkflowId,
    customerId: facts.customerId,
    name: facts.name,
    arr: facts.arr,
    segment: input.segment,
    stage: input.stage,
    csmOwner: facts.csmOwner,
    contractEnd: facts.contractEnd,
    timezone: input.timezone ?? definition.playSettings?.defaultTimezone ?? 'UTC',
    health: health ? { score: health.score, band: health.band, reasons: healthReasons(health) } : null,
    stakeholders: Object.values(facts.stakeholders).map((s) => ({
      id: s.id,
      name: s.name,
      role: s.role,
      ...(s.email ? { email: s.email } : {}),
      engaged: s.engaged,
    })),
    milestones: Object.keys(facts.milestones).sort(),
    successCriteria: facts.successCriteria,
    goals: facts.goals,
    objections: input.objections ?? [],
    competitors: input.competitors ?? [],
    definitionVersion: definition.version,
  };
}

// ---------------------------------------------------------------------------------------------
// Recipients and templates

export interface ResolvedRecipient {
  address: string;
  name: string;
  customerFacing: boolean;
}

/** Where `to` is reached for this customer; undefined when nobody is (no champion, no email on file). */
export function resolveRecipient(to: TRecipient, ctx: PlayCustomerContext, settings: TPlaySettings): ResolvedRecipient | undefined {
  const { routing } = settings;
  switch (to) {
    case 'csm':
      return ctx.csmOwner.includes('@') ? { address: ctx.csmOwner, name: ctx.csmOwner, customerFacing: false } : undefined;
    case 'csm_manager': {
      const address = routing.managerByCsm[ctx.csmOwner] ?? routing.csmManager;
      return { address, name: `manager of ${ctx.csmOwner}`, customerFacing: false };
    }
    case 'sales':
    case 'support':
    case 'marketing':
      return { address: routing[to], name: to, customerFacing: false };
    default: {
      const person = ctx.stakeholders.find((s) => s.role === to && s.email);
      return person ? { address: person.email!, name: person.name, customerFacing: isCustomerFacing(to) } : undefined;
    }
  }
}

export function templateValues(ctx: PlayCustomerContext, play: Pick<TPlay, 'label' | 'goal'>, why: string, recipientName = ''): Record<string, string> {
  const byRole = (role: string) => ctx.stakeholders.find((s) => s.role === role)?.name ?? '';
  return {
    'customer.id': ctx.customerId,
    'customer.name': ctx.name,
    'customer.arr': ctx.arr.toLocaleString('en-US'),
    'customer.segment': ctx.segment,
    'customer.stage': ctx.stage,
    'customer.renewalDate': ctx.contractEnd.slice(0, 10),
    'customer.successCriteria': ctx.successCriteria.join('; ') || '—',
    'customer.goals': ctx.goals.join('; ') || '—',
    'customer.stakeholders': ctx.stakeholders.map((s) => `${s.name} (${s.role}${s.engaged ? '' : ', not engaged'})`).join(', ') || '—',
    'customer.objections': ctx.objections.join('; ') || '—',
    'customer.competitors': ctx.competitors.join('; ') || '—',
    csm: ctx.csmOwner,
    'health.score': ctx.health?.score === null || ctx.health === null ? 'no data yet' : String(ctx.health.score),
    'health.band': ctx.health?.band ?? 'no data yet',
    'health.reasons': ctx.health?.reasons.join('; ') || '—',
    'play.label': play.label,
    'play.goal': play.goal,
    trigger: why,
    'recipient.name': recipientName,
    'champion.name': byRole('champion'),
    'sponsor.name': byRole('executive_sponsor'),
  };
}

/** Fills `{{placeholders}}` (validated when the definition loaded, so every one is known). */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, key: string) => values[key] ?? '');
}

// ---------------------------------------------------------------------------------------------
// Quiet hours

function localClock(atMs: number, timezone: string): { hour: number; minute: number; weekday: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    hour: 'numeric',
    minute: 'numeric',
    weekday: 'short',
  }).formatToParts(new Date(atMs));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '0';
  return { hour: Number(part('hour')) % 24, minute: Number(part('minute')), weekday: part('weekday') };
}

function isQuiet(atMs: number, timezone: string, quiet: TPlaySettings['quietHours']): boolean {
  const { hour, weekday } = localClock(atMs, timezone);
  if (quiet.weekends && (weekday === 'Sat' || weekday === 'Sun')) return true;
  return quiet.fromHour > quiet.toHour
    ? hour >= quiet.fromHour || hour < quiet.toHour // over midnight, e.g. 20 -> 8
    : hour >= quiet.fromHour && hour < quiet.toHour;
}

/** Milliseconds until customer-facing email may go out (0 = now), in the customer's time zone. */
export function quietHoursDelayMs(nowMs: number, timezone: string, quiet: TPlaySettings['quietHours']): number {
  if (!isQuiet(nowMs, timezone, quiet)) return 0;
  // Step through the customer's local hours (a weekend plus a night is under 72 of them).
  const { minute } = localClock(nowMs, timezone);
  const hourStart = nowMs - (nowMs % 60_000) - minute * 60_000;
  for (let k = 1; k <= 80; k += 1) {
    const candidate = hourStart + k * HOUR_MS;
    if (!isQuiet(candidate, timezone, quiet)) return candidate - nowMs;
  }
  return 0; // quiet around the clock is a definition error; send rather than hold forever
}
