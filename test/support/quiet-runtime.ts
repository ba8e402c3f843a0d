/**
 * Workers log every state change at INFO; in tests only warnings and errors are worth reading.
 * Core logs only errors: against the Java test server it warns on every worker start that the
 * server does not advertise a capability we do not use (heartbeat details on activity failure).
 */
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } },
});
