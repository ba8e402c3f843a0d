/**
 * Builds the lifecycle worker: the customer and play workflows plus activities bound to a database,
 * an SMTP transport and the webhook targets. Used by
 * `npm start`, the CLI and tests, so all run the same registration. The maintenance activities
 * join only when asked (`maintenance`: `cli worker`, which also keeps their schedule).
 */
import { resolve } from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { createMaintenanceActivities, type MaintenanceDeps } from '../../activities/maintenance';
import { LIFECYCLE_TASK_QUEUE } from '../domain/ids';
import { PackedWriteCodec } from './payload-codec';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import type { PrismaClient } from '../generated/prisma/client';
import type { Mailer } from '../mail/transport';
import type { TWebhookTargets } from '../webhooks/webhook-config';

export const WORKFLOWS_PATH = resolve(__dirname, '../../workflows/index.ts');

/**
 * How every bundle of the workflow code is made (the worker's own, `npm start`'s, the tests', the
 * benchmarks', `build:workflows`): the workflow modules are evaluated once per worker thread and
 * shared by every cached workflow (`workflows/shared-modules.ts` says why that is safe).
 */
export const WORKFLOW_BUNDLE_OPTIONS = {
  workflowsPath: WORKFLOWS_PATH,
  preloadModules: [resolve(__dirname, '../../workflows/shared-modules.ts')],
};

export interface LifecycleWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  prisma: PrismaClient;
  definition: TLifecycleDefinition;
  /** SMTP for play emails (`createMailer` over the validated mail settings). */
  mailer: Mailer;
  /** What this deployment adds to each definition it loads from the database (see `ActivityDeps`). */
  decorate?: ActivityDeps['decorate'];
  /** Named webhook targets for play steps; none by default. */
  webhookTargets?: TWebhookTargets;
  /** A prebuilt bundle (tests build one per run); otherwise the worker bundles `workflows/` itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The maintenance schedule's activities, with the Temporal client they signal customers through. */
  maintenance?: Omit<MaintenanceDeps, 'prisma'>;
  /** Any other Worker option (e.g. `maxCachedWorkflows` for a benchmark); applied last, so it wins. */
  workerOptions?: Partial<WorkerOptions>;
}

export async function createLifecycleWorker(options: LifecycleWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue ?? LIFECYCLE_TASK_QUEUE,
    // Deflates the lean step's write into the history (`payload-codec.ts`); other payloads untouched.
    dataConverter: { payloadCodecs: [new PackedWriteCodec()] },
    activities: {
      ...createActivities({
        prisma: options.prisma,
        definition: options.definition,
        ...(options.decorate ? { decorate: options.decorate } : {}),
        mailer: options.mailer,
        webhookTargets: options.webhookTargets ?? {},
      }),
      ...(options.maintenance ? createMaintenanceActivities({ prisma: options.prisma, ...options.maintenance }) : {}),
    },
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: WORKFLOW_BUNDLE_OPTIONS.preloadModules } }),
    ...options.workerOptions,
  });
}
