/**
 * Names written into Temporal: the task queue and workflow IDs. Sandbox-safe (imported by
 * workflows). Changing a value here orphans running customers, so treat them as a public contract.
 */
export const LIFECYCLE_TASK_QUEUE = 'customer-lifecycle';

/** One workflow per customer, keyed by the business id so a second start is a no-op. */
export function customerWorkflowId(customerId: string): string {
  return `customer:${customerId}`;
}
