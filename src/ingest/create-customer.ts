/**
 * Creating a customer from the sales handoff: its row (so its events are accepted at once), its
 * stakeholders, first contract term, first success plan and first ARR movement ("new"), and its
 * lifecycle workflow. Shared by the API, the CLI and the demo.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { TCustomerHandoff } from '../domain/customer-events';
import { initialSuccessPlan } from '../domain/success-plan';
import { newShareToken } from './share-token';
import { customerWorkflowId, LIFECYCLE_TASK_QUEUE } from '../domain/ids';
import type { PrismaClient } from '../generated/prisma/client';
import { ApiError } from '../api/errors';
import { customerLifecycleWorkflow } from '../../workflows';

export async function createCustomer(
  deps: { prisma: PrismaClient; client: Client; taskQueue?: string },
  handoff: TCustomerHandoff,
  options: { ifExists?: 'fail' | 'keep'; summary?: string } = {},
): Promise<{ customerId: string; workflowId: string; created: boolean }> {
  const { prisma, client } = deps;
  const workflowId = customerWorkflowId(handoff.customerId);
  const exists = await prisma.customer.findUnique({ where: { id: handoff.customerId }, select: { id: true } });
  // A row without a workflow is a creation whose workflow start failed (Temporal away): the retry
  // finishes it instead of answering 409 for a customer that would never run.
  const unfinished = exists !== null && !(await workflowExists(client, workflowId));
  if (exists && !unfinished && options.ifExists !== 'keep') throw new ApiError(409, 'customer_exists', `customer ${handoff.customerId} already exists`);
  const row = {
    name: handoff.name,
    arr: handoff.arr,
    csmOwner: handoff.csmOwner,
    contractStart: new Date(handoff.contractStart),
    contractEnd: new Date(handoff.contractEnd),
  };
  await prisma.customer.upsert({ where: { id: handoff.customerId }, create: { id: handoff.customerId, ...row }, update: {} });
  await prisma.$transaction([
    prisma.stakeholder.createMany({
      data: handoff.stakeholders.map((s) => ({
        customerId: handoff.customerId,
        stakeholderId: s.id,
        name: s.name,
        role: s.role,
        email: s.email ?? null,
        engaged: false, // named in the handoff is known; engaged needs an engagement event
      })),
      skipDuplicates: true,
    }),
    prisma.contract.createMany({
      data: [{ customerId: handoff.customerId, term: 1, startsAt: new Date(handoff.contractStart), endsAt: new Date(handoff.contractEnd), arr: handoff.arr }],
      skipDuplicates: true,
    }),
    prisma.successPlan.createMany({
      data: [{ customerId: handoff.customerId, document: initialSuccessPlan(handoff), shareToken: newShareToken(), updatedBy: 'sales handoff' }],
      skipDuplicates: true,
    }),
  ]);
  await prisma.arrMovement.createMany({
    data: [
      {
        idempotencyKey: `${handoff.customerId}:new`,
        customerId: handoff.customerId,
        kind: 'new',
        amount: handoff.arr,
        occurredAt: new Date(handoff.contractStart),
      },
    ],
    skipDuplicates: true,
  });
  try {
    await client.workflow.start(customerLifecycleWorkflow, {
      workflowId,
      taskQueue: deps.taskQueue ?? LIFECYCLE_TASK_QUEUE,
      args: [{ handoff }],
      workflowIdConflictPolicy: options.ifExists === 'keep' ? WorkflowIdConflictPolicy.USE_EXISTING : WorkflowIdConflictPolicy.FAIL,
      // A customer whose lifecycle has ended (churned, terminated) is not silently started over.
      ...(options.ifExists === 'keep' ? {} : { workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE }),
      ...(options.summary ? { staticSummary: options.summary } : {}),
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    throw new ApiError(409, 'customer_exists', `customer ${handoff.customerId} already has a lifecycle`);
  }
  return { customerId: handoff.customerId, workflowId, created: !exists || unfinished };
}

async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
