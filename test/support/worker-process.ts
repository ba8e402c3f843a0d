/**
 * A lifecycle worker in its own process, so a test can kill it (SIGKILL, no goodbye) in the middle
 * of a play and start another. Configured by environment: TEMPORAL_ADDRESS, DATABASE_URL,
 * TASK_QUEUE, SMTP_URL, WORKFLOW_BUNDLE, LIFECYCLE_DEFINITION. Prints "ready" once it polls.
 */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { openDatabase } from '../../src/db/database';
import { loadLifecycleDefinition } from '../../src/lifecycle/load-definition';
import { ZMailConfig } from '../../src/mail/mail-config';
import { createMailer } from '../../src/mail/transport';
import { createLifecycleWorker } from '../../src/temporal/worker';

async function main(): Promise<void> {
  const env = process.env;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const database = await openDatabase({ kind: 'postgres', url: env.DATABASE_URL! });
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS! });
  const worker = await createLifecycleWorker({
    connection,
    taskQueue: env.TASK_QUEUE!,
    prisma: database.prisma,
    definition: loadLifecycleDefinition(env.LIFECYCLE_DEFINITION),
    mailer: createMailer({ ...ZMailConfig.parse({ SMTP_URL: env.SMTP_URL }), SMTP_URL: env.SMTP_URL! }),
    workflowBundle: { codePath: env.WORKFLOW_BUNDLE! },
  });
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
  await database.close();
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
