/** A representative batch of changes as the workflow hands them to `recordLifecycleChanges`. */
import type { LifecycleChanges } from '../../activities';

export function sampleChanges(customerId: string): LifecycleChanges {
  const at = '2026-03-01T12:00:00.000Z';
  return {
    workflowId: `customer:${customerId}`,
    facts: {
      customerId,
      name: 'Cust One',
      segment: 'enterprise',
      arr: 60000,
      csmOwner: 'dana@example.com',
      contractStart: '2026-01-01T00:00:00.000Z',
      contractEnd: '2027-01-01T00:00:00.000Z',
      contractStatus: 'active',
    },
    stage: 'adoption',
    health: null,
    entries: [
      {
        seq: 7,
        at,
        kind: 'stage',
        summary: 'onboarding -> adoption: exit criteria met',
        cause: { type: 'event', id: 'evt-9', eventType: 'milestone' },
        definitionVersion: '2026.11.1',
        detail: { from: 'onboarding', to: 'adoption' },
      },
    ],
    stageMoves: [
      { seq: 7, from: 'onboarding', to: 'adoption', at, cause: { type: 'event', id: 'evt-9', eventType: 'milestone' }, reason: 'exit criteria met' },
    ],
    healthSnapshot: {
      score: 72.5,
      band: 'yellow',
      model: 'default',
      definitionVersion: '2026.11.1',
      dimensions: [],
      missing: ['nps'],
      at,
      trend: 'flat',
    },
  };
}
