/**
 * What a test file needs from the servers global-setup provisioned: its own PostgreSQL database with
 * the migrations applied, a time-skipping environment, a dev-server environment, the workflow bundle.
 */
import { randomBytes } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { createLifecycleWorker, type LifecycleWorkerOptions } from '../../src/temporal/worker';
import { openDatabase, type Database } from '../../src/db/database';
import { createScratchDatabase } from '../../src/dev-infra/postgres';
import { registerSearchAttributes } from '../../src/temporal/namespace';
import type { TLifecycleDefinition } from '../../src/domain/lifecycle-definition';
import { ZMailConfig } from '../../src/mail/mail-config';
import { createMailer, type Mailer } from '../../src/mail/transport';
import type { TWebhookTargets } from '../../src/webhooks/webhook-config';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through \`npm test\` (jest global setup)`);
  return value;
}

export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** A fresh, migrated PostgreSQL database for one test file. */
export async function openTestDatabase(label: string): Promise<Database> {
  const url = await createScratchDatabase(required('TEST_POSTGRES_URL'), `t_${label}_${uniqueSuffix()}`);
  return openDatabase({ kind: 'postgres', url });
}

export function workflowBundle(): { codePath: string } {
  return { codePath: required('TEST_WORKFLOW_BUNDLE') };
}

/** A fresh time-skipping server (one per test file: skipped time is global to it). */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: required('TEST_SERVER_PATH') } },
  });
  await registerSearchAttributes(env.connection, 'default');
  return env;
}

export function connectDevServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({ address: required('TEST_TEMPORAL_ADDRESS') });
}

/** A mailer for `smtpUrl`, by default the run's shared SMTP sink (for email no test inspects). */
export function testMailer(smtpUrl = required('TEST_SMTP_URL')): Mailer {
  return createMailer({ ...ZMailConfig.parse({ SMTP_URL: smtpUrl }), SMTP_URL: smtpUrl });
}

export interface TestWorkerOptions {
  definition?: TLifecycleDefinition;
  /** Defaults to the shared sink; a test asserting on email passes its own sink's mailer. */
  mailer?: Mailer;
  webhookTargets?: TWebhookTargets;
  /** Another workflow bundle (code that has shipped, for upgrade tests); default today's. */
  workflowBundle?: { codePath: string };
  /** An existing task queue (a second worker taking over); default a fresh one. */
  taskQueue?: string;
  /** The maintenance schedule's activities too, as `cli worker` registers them. */
  maintenance?: LifecycleWorkerOptions['maintenance'];
}

/** A lifecycle worker on a fresh task queue of `env`, writing to `database`, running the default definition. */
export async function startTestWorker(
  env: TestWorkflowEnvironment,
  database: Database,
  options: TestWorkerOptions = {},
): Promise<{ worker: Worker; taskQueue: string }> {
  const taskQueue = options.taskQueue ?? `test-${uniqueSuffix()}`;
  const worker = await createLifecycleWorker({
    connection: env.nativeConnection,
    taskQueue,
    prisma: database.prisma,
    definition: options.definition ?? DEFAULT_LIFECYCLE,
    mailer: options.mailer ?? testMailer(),
    webhookTargets: options.webhookTargets,
    workflowBundle: options.workflowBundle ?? workflowBundle(),
    ...(options.maintenance ? { maintenance: options.maintenance } : {}),
  });
  return { worker, taskQueue };
}
