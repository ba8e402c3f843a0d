/**
 * Structured JSON logs (pino, one object a line on stdout) for the API and the worker, at the
 * level LOG_LEVEL sets. Request lines carry the request id, activity and worker lines the workflow
 * id and, for a customer's workflow, the customer id, so one customer's story can be pulled out of
 * the logs of many replicas. The human start-up lines (`[setup] …` on stderr) stay as they are.
 */
import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import type { TEngineConfig } from '../config';

export type { Logger } from 'pino';

export function createLogger(config: Pick<TEngineConfig, 'LOG_LEVEL'>, service: 'api' | 'worker'): Logger {
  return pino(
    {
      level: config.LOG_LEVEL ?? 'info',
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Never a credential in a log line, whatever a caller passes as context.
      redact: { paths: ['authorization', '*.authorization', 'apiKey', '*.apiKey'], censor: '[redacted]' },
    },
    // Synchronous: the last lines before an exit (a failed start, SIGTERM) must not be lost.
    pino.destination({ dest: 1, sync: true }),
  );
}

const SDK_LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR' };

/** The customer a workflow id belongs to (`customer:<id>`, and its play runs `customer:<id>/play/…`). */
export function customerIdOf(workflowId: unknown): string | undefined {
  if (typeof workflowId !== 'string' || !workflowId.startsWith('customer:')) return undefined;
  return workflowId.slice('customer:'.length).split('/play/')[0];
}

/** The Temporal SDK's logger (worker, workflows through sinks, activities) routed into pino. */
export function sdkLogger(logger: Logger): DefaultLogger {
  const level = SDK_LEVELS[logger.level] ?? 'INFO';
  return new DefaultLogger(level, (entry) => {
    if (logger.level === 'silent') return;
    const meta = { ...(entry.meta ?? {}) } as Record<string, unknown>;
    const customerId = customerIdOf(meta.workflowId);
    const line = { ...meta, ...(customerId ? { customerId } : {}) };
    const method =
      entry.level === 'TRACE' ? 'trace' : entry.level === 'DEBUG' ? 'debug' : entry.level === 'INFO' ? 'info' : entry.level === 'WARN' ? 'warn' : 'error';
    logger[method](line, entry.message);
  });
}
