/**
 * The engine's settings, parsed once from the environment at start-up into one typed object.
 * Anything wrong stops start-up with the variable's name and the reason (see `ConfigError`).
 * Modules receive the parsed object; nothing else reads `process.env` for these settings.
 */
import { z } from 'zod';
import { LIFECYCLE_TASK_QUEUE } from './domain/ids';
import { ZMailSettings } from './mail/mail-config';
import { parseWebhookTargets, type TWebhookTargets } from './webhooks/webhook-config';

const port = (fallback: number, { zeroPicksFree = false } = {}) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a port number')
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(zeroPicksFree ? 0 : 1)
        .max(65535),
    )
    .default(fallback);

// An empty variable means "not set": `FOO= npm start` must not turn into a 0 or an empty URL.
const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

export const ZEngineConfig = z
  .object({
    DATABASE_URL: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL; leave it unset for the embedded database')
        .optional(),
    ),
    CS_DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default('.data')),
    /** Module exporting the ops' own lifecycle definition; the built-in default when unset. */
    LIFECYCLE_DEFINITION: z.preprocess(emptyAsUndefined, z.string().optional()),
    TEMPORAL_ADDRESS: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^[^\s:]+:\d+$/, 'must be host:port, e.g. 127.0.0.1:7233')
        .optional(),
    ),
    TEMPORAL_NAMESPACE: z.preprocess(emptyAsUndefined, z.string().default('default')),
    /** Where customer workflows run; the worker polls it and the API starts customers on it. */
    TEMPORAL_TASK_QUEUE: z.preprocess(emptyAsUndefined, z.string().trim().min(1).default(LIFECYCLE_TASK_QUEUE)),
    TEMPORAL_PORT: z.preprocess(emptyAsUndefined, port(7233)),
    TEMPORAL_UI_PORT: z.preprocess(emptyAsUndefined, port(8233)),
    /** The Temporal Web UI the pages link each customer's workflow to; `npm start` sets its dev server's. */
    TEMPORAL_UI_URL: z.preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/ }).optional()),
    /** Where the pages are served (the API's address), for the Temporal UI's links back; `npm start` sets it. */
    PAGES_URL: z.preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/ }).optional()),
    TEMPORAL_RETENTION_DAYS: z.preprocess(
      emptyAsUndefined,
      z.string().regex(/^\d+$/, 'must be a whole number of days').transform(Number).pipe(z.number().min(1)).default(365),
    ),
    /** The HTTP API (`npm start`, `cli api`); 0 picks a free port (the chosen URL is printed). */
    API_PORT: z.preprocess(emptyAsUndefined, port(3000, { zeroPicksFree: true })),
    /** Largest request body the API reads; a bigger one is answered 413 before it is read. */
    API_MAX_BODY_BYTES: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^\d+$/, 'must be a number of bytes')
        .transform(Number)
        .pipe(z.number().int().min(1024))
        .default(1024 * 1024),
    ),
    API_HOST: z.preprocess(emptyAsUndefined, z.string().default('127.0.0.1')),
    /** Webhook senders may sign event bodies with this instead of an API key (HMAC-SHA256, x-cs-signature). */
    INGEST_WEBHOOK_SECRET: z.preprocess(emptyAsUndefined, z.string().min(16, 'must be at least 16 characters').optional()),
    // Play email: unset SMTP_URL means the embedded SMTP sink under `npm start` (mail saved in CS_DATA_DIR/mail).
    ...ZMailSettings,
    /** JSON: `{"crm": {"url": "https://…", "secret": "…"}}`; play webhook steps name these targets. */
    WEBHOOK_TARGETS: z
      .string()
      .optional()
      .transform((raw, ctx): TWebhookTargets => {
        try {
          return parseWebhookTargets(raw);
        } catch (error) {
          // "WEBHOOK_TARGETS.crm.url: must be…": keep the target and field, drop the variable's own name.
          const [where = '', ...reason] = (error as Error).message.split(': ');
          const path = where.split('.').slice(1);
          ctx.addIssue({ code: 'custom', message: reason.join(': '), path });
          return z.NEVER;
        }
      }),
  })
  .refine((config) => (config.SMTP_USER === undefined) === (config.SMTP_PASSWORD === undefined), {
    message: 'set both SMTP_USER and SMTP_PASSWORD, or neither',
    path: ['SMTP_PASSWORD'],
  });

export type TEngineConfig = z.infer<typeof ZEngineConfig>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): TEngineConfig {
  const parsed = ZEngineConfig.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  return parsed.data;
}
