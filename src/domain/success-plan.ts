/**
 * The success plan CS writes with the customer: objectives, milestones, metrics, risks and the
 * review cadence, as one document (versioned in the database, shared read-only by link). Starts
 * from what sales agreed in the handoff. Sandbox-safe: plain data and zod.
 */
import { z } from 'zod';
import type { TCustomerHandoff } from './customer-events';

const ZIsoDate = z.iso.datetime({ offset: true });

export const ZSuccessPlan = z
  .object({
    objectives: z
      .array(
        z
          .object({
            title: z.string().min(1),
            status: z.enum(['planned', 'in_progress', 'achieved', 'at_risk']).default('planned'),
            due: ZIsoDate.optional(),
            owner: z.string().optional(),
          })
          .strict(),
      )
      .max(50),
    milestones: z
      .array(z.object({ name: z.string().min(1), due: ZIsoDate.optional(), reachedAt: ZIsoDate.optional() }).strict())
      .max(100)
      .default([]),
    metrics: z
      .array(
        z
          .object({ name: z.string().min(1), unit: z.string().optional(), baseline: z.number().optional(), target: z.number(), current: z.number().optional() })
          .strict(),
      )
      .max(50)
      .default([]),
    risks: z
      .array(
        z
          .object({
            description: z.string().min(1),
            severity: z.enum(['low', 'medium', 'high']),
            mitigation: z.string().optional(),
            owner: z.string().optional(),
          })
          .strict(),
      )
      .max(50)
      .default([]),
    cadence: z
      .object({ reviewEveryDays: z.number().int().positive().optional(), nextReviewAt: ZIsoDate.optional(), attendees: z.array(z.string()).default([]) })
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
