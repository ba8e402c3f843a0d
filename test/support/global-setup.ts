/**
 * Provisions the real servers once per `npm test` run and hands their addresses to the test files
 * through environment variables (jest workers inherit them):
 *   TEST_POSTGRES_URL      a throwaway PostgreSQL cluster (or DATABASE_URL) — each file makes its own database
 *   TEST_TEMPORAL_ADDRESS  a Temporal dev server (persistence + visibility queries), headless, random port
 *   TEST_SERVER_PATH       the time-skipping Java test server wrapper (each file starts its own)
 *   TEST_WORKFLOW_BUNDLE   the workflow bundle, built once instead of once per worker
 *   TEST_SMTP_URL          an in-process SMTP sink for play email no test inspects (tests that do start their own)
 * The independent steps run concurrently: on a warm cache the whole setup takes a few seconds.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startDevServer, freePort, type DevServerHandle } from '../../src/dev-infra/dev-server';
import { startTestPostgres, type PostgresHandle } from '../../src/dev-infra/postgres';
import { formatSetupError, isSetupError } from '../../src/dev-infra/setup-error';
import { ensureTemporalCli } from '../../src/dev-infra/temporal-cli';
import { ensureTimeSkippingTestServer } from '../../src/dev-infra/test-server';
import { WORKFLOW_BUNDLE_OPTIONS } from '../../src/temporal/worker';
import { startSmtpSink, type SmtpSink } from '../../src/mail/smtp-sink';

/** History length at which the test dev server suggests continue-as-new (production: 4,096). */
export const CONTINUE_AS_NEW_SUGGESTED_AT = 40;

export interface GlobalHandles {
  postgres?: PostgresHandle;
  devServer?: DevServerHandle;
  smtp?: SmtpSink;
}

declare global {
  var __csTestHandles: GlobalHandles | undefined;
}

export default async function globalSetup(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'cs-lifecycle-test-'));
  const handles: GlobalHandles = {};
  globalThis.__csTestHandles = handles;
  try {
    const [postgres, devServer, testServerPath, bundle, smtp] = await Promise.all([
      startTestPostgres(),
      ensureTemporalCli().then(async (cliPath) =>
        startDevServer({
          cliPath,
          dbFilename: join(scratch, 'temporal', 'dev.db'),
          port: await freePort(),
          // Low enough that a test reaches continue-as-new with a few dozen events.
          dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': CONTINUE_AS_NEW_SUGGESTED_AT },
        }),
      ),
      ensureTimeSkippingTestServer(),
      bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, logger: quietBundlerLogger }),
      startSmtpSink(),
    ]);
    handles.smtp = smtp;
    process.env.TEST_SMTP_URL = smtp.url;
    handles.postgres = postgres;
    handles.devServer = devServer;
    const bundlePath = join(scratch, 'workflow-bundle.js');
    writeFileSync(bundlePath, bundle.code);
    process.env.TEST_POSTGRES_URL = postgres.url;
    process.env.TEST_TEMPORAL_ADDRESS = devServer.address;
    process.env.TEST_SERVER_PATH = testServerPath;
    process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
  } catch (error) {
    await Promise.allSettled([handles.postgres?.stop(), handles.devServer?.stop(), handles.smtp?.stop()]);
    // A clear sentence beats jest's stack trace for the usual causes (no network, port taken).
    if (isSetupError(error)) process.stderr.write(formatSetupError(error));
    throw error;
  }
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => process.stderr.write(`[bundler] ${message}\n`),
  error: (message: string) => process.stderr.write(`[bundler] ${message}\n`),
};
