/**
 * Which plays a customer's latest changes start: triggers fire on edges only (a band becoming red,
 * a condition turning true), then the play's stage and guard filters and its caps decide. Skips are
 * answered too, so "why did it not fire?" has an answer. Deterministic given its inputs (time is
 * passed in): sandbox-safe.
 */
import type { TCustomerEvent } from '../domain/customer-events';
import { isScoredBand, type TCondition, type THealthBand, type TStageId } from '../domain/conditions';
import { conditionMet, type RuleContext, type SlaStatus } from '../domain/stage-rules';
import type { Cause } from '../domain/timeline';
import type { PlannedTimer } from '../domain/timer-plan';
import type { TFieldMatch, TPlay, TSingleTrigger } from './definition';
import { triggersOf } from './lookups';
import type { PlayState } from './state';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Something that happened in one evaluation and may trigger a play or matter to a running one. */
export type PlayOccurrence =
  | { kind: 'handoff' }
  | { kind: 'event'; event: TCustomerEvent }
  | { kind: 'timer'; timer: PlannedTimer }
  | { kind: 'stage'; from: TStageId; to: TStageId }
  | { kind: 'band'; from: THealthBand | null; to: THealthBand | null }
  | { kind: 'sla'; stage: TStageId; sla: SlaStatus };

export interface PlayDecision {
  play: TPlay;
  /** Why it fired, in words ("survey nps 3", "band yellow -> red"): shown in the UI and the timeline. */
  why: string;
  cause: Cause;
  /** Set when the play may start; otherwise `skipped` says why not. */
  runNumber?: number;
  skipped?: string;
}

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
export function matchTrigger(trigger: TSingleTrigger, occurrences: PlayOccurrence[], evaluationCause: Cause): { why: string; cause: Cause } | undefined {
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

/** How caps count days; see `capBlocks`. */
export interface CapOptions {
  /**
   * Count a cooldown and the 365 days of `maxPerYear` to the millisecond, as customers recorded
   * before `play-cap-dates-v1` did (their histories replay so). Otherwise they count calendar days.
   */
  exactDays?: boolean;
}

/** The UTC calendar day of an instant, as a day number since 1970-01-01. */
const utcDay = (ms: number) => Math.floor(ms / DAY_MS);
const utcDate = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * Why the caps forbid a start now, or undefined when the play may start.
 *
 * A whole-day cooldown counts UTC calendar days: a play that started on 1 March with a 30-day
 * cooldown may start again from 31 March, whatever the hour. Counted to the millisecond, a customer
 * whose data arrives daily at about one hour had each re-entry fall on the due day or two days on,
 * depending on a few milliseconds of delivery jitter. A fractional cooldown (hours) is counted
 * exactly; so are both for a customer recorded before `play-cap-dates-v1` (`exactDays`).
 */
export function capBlocks(play: TPlay, state: PlayState, now: string, options: CapOptions = {}): string | undefined {
  if (state.active.some((run) => run.playId === play.id)) return 'a run of this play is still in progress';
  const history = state.history[play.id];
  if (!history) return undefined;
  const nowMs = Date.parse(now);
  const last = history.starts.at(-1);
  const { cooldownDays } = play.caps;
  if (last && cooldownDays > 0) {
    if (options.exactDays || !Number.isInteger(cooldownDays)) {
      if (nowMs - Date.parse(last) < cooldownDays * DAY_MS) {
        return `cooling down until ${new Date(Date.parse(last) + cooldownDays * DAY_MS).toISOString().slice(0, 10)} (${cooldownDays} days between runs)`;
      }
    } else if (utcDay(nowMs) < utcDay(Date.parse(last)) + cooldownDays) {
      return `cooling down until ${utcDate(utcDay(Date.parse(last)) + cooldownDays)} (${cooldownDays} days between runs)`;
    }
  }
  if (play.caps.maxTotal !== undefined && history.total >= play.caps.maxTotal) {
    return `already ran ${history.total} time(s), the most allowed`;
  }
  if (play.caps.maxPerYear !== undefined) {
    // By calendar day: the starts on this day and the 364 before it.
    const inYear = history.starts.filter((at) =>
      options.exactDays ? nowMs - Date.parse(at) < 365 * DAY_MS : utcDay(Date.parse(at)) > utcDay(nowMs) - 365,
    ).length;
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
  evaluationCause: Cause,
  now: string,
  options: { edgesWhileEligible?: boolean } & CapOptions = {},
): PlayDecision[] {
  const decisions: PlayDecision[] = [];
  for (const play of plays) {
    if (!play.enabled) continue;
    // Lean step: a play outside its stages neither fires nor tracks its conditions' edges, so a
    // condition flapping in a stage where the play cannot run does not wake the customer; on
    // entering one of its stages, a condition that holds (and did not when last tracked) fires it.
    if (options.edgesWhileEligible && play.stages && !play.stages.includes(ctx.stage)) continue;
    let fired: { why: string; cause: Cause } | undefined;
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
    const blocked = capBlocks(play, state, now, { exactDays: options.exactDays });
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
