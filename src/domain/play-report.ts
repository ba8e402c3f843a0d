/**
 * A play run's end as it reports it to its customer's workflow. Here, not beside the signal, so the
 * pure lifecycle step can validate reports without importing workflow code. Sandbox-safe.
 */
import { z } from 'zod';

export const PLAY_OUTCOMES = ['completed', 'succeeded', 'escalated', 'timed_out', 'failed'] as const;
export type PlayOutcome = (typeof PLAY_OUTCOMES)[number];

/** What the customer's workflow accepts as a play's report; anything else is ignored. */
export const ZPlayFinished = z
  .object({ runId: z.string().min(1).max(500), playId: z.string().min(1).max(200), outcome: z.enum(PLAY_OUTCOMES), at: z.iso.datetime({ offset: true }) })
  .strict();
