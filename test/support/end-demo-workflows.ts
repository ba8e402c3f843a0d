/**
 * The demo's customer ids are fixed, and every test shares one dev server: a seeded demo customer's
 * workflow, or one of its play runs (children outlive their parent), left running would be adopted
 * or collided with by the next test that seeds the same ids, and then never progress, because its
 * task queue's worker is gone. Tests that seed the demo end those workflows when they finish.
 */
import type { Client } from '@temporalio/client';
import { customerWorkflowId } from '../../src/domain/ids';

export async function endDemoWorkflows(client: Client, customerIds: Iterable<string>): Promise<void> {
  const running: string[] = [];
  for (const id of customerIds) {
    const prefix = customerWorkflowId(id);
    for await (const execution of client.workflow.list({ query: `WorkflowId STARTS_WITH "${prefix}" AND ExecutionStatus = "Running"` })) {
      running.push(execution.workflowId);
    }
  }
  await Promise.all(
    running.map((workflowId) =>
      client.workflow
        .getHandle(workflowId)
        .terminate('test finished')
        .catch(() => undefined),
    ),
  );
}
