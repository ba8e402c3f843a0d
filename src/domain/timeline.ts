/**
 * The timeline's vocabulary: what a change names as its cause, and the entry it is recorded as.
 * Its own module so the plays (src/plays/) can speak of causes and hand back timeline entries
 * without importing the lifecycle state that appends them: the state depends on the plays, never
 * the other way round. Types only.
 */

export type Cause =
  | { type: 'event'; id: string; eventType: string }
  | { type: 'timer'; id: string }
  | { type: 'rule'; id: string }
  | { type: 'override'; by: string }
  | { type: 'update'; by: string }
  | { type: 'handoff' }
  /** A roll-out moved the customer onto another definition version (`id`: the roll-out's). */
  | { type: 'rollout'; id: string; from: string; to: string; by: string };

export type TimelineKind = 'handoff' | 'event' | 'rejected' | 'timer' | 'stage' | 'health' | 'sla' | 'sentiment' | 'play' | 'definition';

export interface TimelineEntry {
  seq: number;
  at: string;
  kind: TimelineKind;
  summary: string;
  cause: Cause;
  definitionVersion: string;
  /** Kind-specific detail: the stage move, the health score, the event type. */
  detail?: Record<string, string | number | boolean | null>;
}

/** An entry as a rule decides it; the state numbers it and stamps its definition version when appending. */
export type NewTimelineEntry = Omit<TimelineEntry, 'seq' | 'definitionVersion'>;
