/**
 * The success plan CS writes with the customer: objectives, milestones, metrics, risks and the
 * review cadence, as one document (versioned in the database, shared read-only by link). Starts
 * from what sales agreed in the handoff. Sandbox-safe: plain data and zod.
 */
import { z } from 'zod';
import { boundedText, LIMITS } from './bounds';
import type { TCustomerHandoff } from './customer-events';

const ZIsoDate = z.iso.datetime({ offset: true });

export const ZSuccessPlan = z
  .object({
    objectives: z
      .array(
        z
          .object({
            title: boundedText(LIMITS.line),
            status: z.enum(['planned', 'in_progress', 'achieved', 'at_risk']).default('planned'),
            due: ZIsoDate.optional(),
            owner: boundedText(LIMITS.name).optional(),
          })
          .strict(),
      )
      .max(50),
    milestones: z
      .array(z.object({ name: boundedText(LIMITS.line), due: ZIsoDate.optional(), reachedAt: ZIsoDate.optional() }).strict())
      .max(100)
      .default([]),
    metrics: z
      .array(
        z
          .object({
            name: boundedText(LIMITS.line),
            unit: boundedText(LIMITS.name).optional(),
            baseline: z.number().min(-1e12).max(1e12).optional(),
            target: z.number().min(-1e12).max(1e12),
            current: z.number().min(-1e12).max(1e12).optional(),
          })
          .strict(),
      )
      .max(50)
      .default([]),
    risks: z
      .array(
        z
          .object({
            description: boundedText(LIMITS.line),
            severity: z.enum(['low', 'medium', 'high']),
            mitigation: boundedText(LIMITS.line).optional(),
            owner: boundedText(LIMITS.name).optional(),
          })
          .strict(),
      )
      .max(50)
      .default([]),
    cadence: z
      .object({
        reviewEveryDays: z.number().int().positive().max(366).optional(),
        nextReviewAt: ZIsoDate.optional(),
        attendees: z.array(boundedText(LIMITS.name)).max(50).default([]),
      })
      .strict()
      .default({ attendees: [] }),
  })
  .strict();
export type TSuccessPlan = z.infer<typeof ZSuccessPlan>;

/** The first plan: the success criteria and goals agreed in the sale as objectives. */
export function initialSuccessPlan(handoff: TCustomerHandoff): TSuccessPlan {
  return ZSuccessPlan.parse({
    objectives: [...handoff.successCriteria, ...handoff.goals].map((title) => ({ title })),
    milestones: [{ name: 'kickoff_held' }, { name: 'first_value' }],
    risks: handoff.objections.map((objection) => ({ description: `Raised in the sale: ${objection}`, severity: 'medium' })),
  });
}
