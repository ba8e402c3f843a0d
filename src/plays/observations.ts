/**
 * What a running play is told by its customer's workflow, and when a wait step is satisfied: the
 * customer workflow picks from each evaluation what a run listens for; the run checks its wait.
 */
import type { TCustomerEvent } from '../domain/customer-events';
import type { THealthBand } from '../domain/lifecycle-definition';
import type { TPlay, TWaitFor } from './definition';
import type { ActivePlayRun } from './state';
import type { PlayOccurrence } from './triggers';

/** What a running play is told by its customer's workflow. */
export type PlayObservation =
  | { kind: 'milestone'; milestone: string; at: string }
  | { kind: 'event'; eventType: TCustomerEvent['type']; id: string; at: string }
  | { kind: 'band'; band: THealthBand | null; at: string }
  | { kind: 'goal_met'; at: string };

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
