/**
 * How a lifecycle definition version is named, and what a roll-out tells a customer. Sandbox-safe:
 * the customer workflow validates the `adoptDefinition` update with these.
 */
import { z } from 'zod';

/** A version as written on the command line or in an update: bounded, printable, no spaces. */
export const ZDefinitionVersion = z
  .string()
  .min(1, 'a version is required')
  .max(100, 'a version has at most 100 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'a version is letters, digits and . _ + - (e.g. 2026.12.2)');

export const ZRolloutId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'a roll-out id is letters, digits and . _ : -');

/** The `adoptDefinition` update: move onto `version`, as part of roll-out `rolloutId`. */
export const ZAdoptDefinition = z
  .object({
    version: ZDefinitionVersion,
    rolloutId: ZRolloutId,
    by: z.string().min(1).max(200),
  })
  .strict();
export type TAdoptDefinition = z.infer<typeof ZAdoptDefinition>;

/** What the update answers: the version the customer was on and is on now. */
export interface AdoptDefinitionResult {
  from: string;
  to: string;
  /** False when the customer was on `version` already (a re-run roll-out skips it). */
  changed: boolean;
}
