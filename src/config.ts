/**
 * The engine's settings, parsed once from the environment at start-up into one typed object.
 * Anything wrong stops start-up with the variable's name and the reason (see `ConfigError`).
 * Modules receive the parsed object; nothing else reads `process.env` for these settings.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { LIFECYCLE_TASK_QUEUE } from './domain/ids';
import { MIN_WORKER_MEMORY_MB } from './temporal/worker-memory';
import { ZMailSettings } from './mail/mail-config';
import { parseWebhookTargets, type TWebhookTargets } from './webhooks/webhook-config';
import { parseCloudEventTypeMap, type TCloudEventTypeMap } from './ingest/cloudevent-types';

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

/** A PEM file named by a setting, read and checked at start-up: a wrong path or content stops here. */
export interface PemFile {
  path: string;
  pem: Buffer;
}
const pemFile = (kind: 'certificate' | 'private key') =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .max(4096)
      .transform((path, ctx): PemFile => {
        let pem: Buffer;
        try {
          pem = readFileSync(path);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` });
          return z.NEVER;
        }
        try {
          if (kind === 'certificate') new X509Certificate(pem);
          else createPrivateKey(pem);
        } catch {
          ctx.addIssue({ code: 'custom', message: `${path} does not hold a PEM ${kind}` });
          return z.NEVER;
        }
        return { path, pem };
      })
      .optional(),
  );

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
    /** A workflow bundle built by `npm run build:workflows` (the image sets it); unset: bundled at start-up. */
    WORKFLOW_BUNDLE: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .max(4096)
        .refine((path) => existsSync(path), 'no such file (build it with npm run build:workflows)')
        .optional(),
    ),
    /** Module exporting the ops' own lifecycle definition; the built-in default when unset. */
    LIFECYCLE_DEFINITION: z.preprocess(emptyAsUndefined, z.string().optional()),
    TEMPORAL_ADDRESS: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^[^\s:]+:\d+$/, 'must be host:port, e.g. 127.0.0.1:7233')
        .optional(),
    ),
    TEMPORAL_NAMESPACE: z.preprocess(emptyAsUndefined, z.string().max(1000).default('default')),
    /** Temporal Cloud API key: sent as the bearer token, and TLS is on unless TEMPORAL_TLS=off. */
    TEMPORAL_API_KEY: z.preprocess(emptyAsUndefined, z.string().max(8192).regex(/^\S+$/, 'must be the key itself, without spaces or line breaks').optional()),
    /** on/off; unset means on when an API key or a client certificate is set, off otherwise. */
    TEMPORAL_TLS: z.preprocess(
      emptyAsUndefined,
      z
        .enum(['on', 'off'], { message: 'must be on or off' })
        .transform((value) => value === 'on')
        .optional(),
    ),
    /** mTLS client certificate and its key (PEM files), e.g. for a Temporal Cloud namespace with CA auth. */
    TEMPORAL_TLS_CERT: pemFile('certificate'),
    TEMPORAL_TLS_KEY: pemFile('private key'),
    /** The CA that signed the server's certificate; the system's trusted CAs when unset (Temporal Cloud). */
    TEMPORAL_TLS_CA: pemFile('certificate'),
    /** The name the server's certificate must carry, when it is not the host of TEMPORAL_ADDRESS. */
    TEMPORAL_TLS_SERVER_NAME: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .max(253)
        .regex(/^[A-Za-z0-9.-]+$/, 'must be a host name')
        .optional(),
    ),
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
    /** pino level of the JSON logs; info when unset (`npm start` passes warn to its children). */
    LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional()),
    /** /metrics, /healthz and /readyz of `cli api` and `cli worker`, each on its own port; 0 picks a free one. */
    API_METRICS_PORT: z.preprocess(emptyAsUndefined, port(0, { zeroPicksFree: true })),
    WORKER_METRICS_PORT: z.preprocess(emptyAsUndefined, port(0, { zeroPicksFree: true })),
    METRICS_HOST: z.preprocess(emptyAsUndefined, z.string().max(253).default('127.0.0.1')),
    /**
     * The worker's memory budget in MiB: its workflow cache is sized from it (`worker-memory.ts`), and
     * under `npm start` its V8 heap limit too. The one setting that bounds memory as the portfolio grows.
     */
    WORKER_MEMORY_MB: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .trim()
        .regex(/^\d+$/, 'must be a whole number of MiB')
        .transform(Number)
        .pipe(z.number().int().min(MIN_WORKER_MEMORY_MB, `must be at least ${MIN_WORKER_MEMORY_MB} (MiB)`).max(1_048_576, 'must be at most 1048576 (MiB)'))
        .default(1024),
    ),
    /** On SIGTERM the worker drains its tasks and the API its requests for at most this long, then exits. */
    SHUTDOWN_GRACE_SECONDS: z.preprocess(
      emptyAsUndefined,
      z.string().regex(/^\d+$/, 'must be a whole number of seconds').transform(Number).pipe(z.number().int().min(1).max(3600)).default(25),
    ),
    /**
     * The interval of the maintenance schedule `cli worker` keeps on Temporal (one per task queue,
     * however many workers run): each run delivers events recorded but never delivered (an API died
     * between the two) once they are a minute old, and drops expired parked Segment messages.
     */
    REDELIVERY_SWEEP_SECONDS: z.preprocess(
      emptyAsUndefined,
      z.string().regex(/^\d+$/, 'must be a whole number of seconds').transform(Number).pipe(z.number().int().min(1).max(3600)).default(30),
    ),
    /**
     * Product usage (`usage` events, Segment `track`, `page` and `screen`) reaches each customer's
     * workflow rolled up: the API records it and answers, and the maintenance schedule signals one
     * rolled-up event per customer, window of this many seconds (received time) and day. 0 sends
     * each usage event at once, as every other event type always is.
     */
    USAGE_ROLLUP_SECONDS: z.preprocess(
      emptyAsUndefined,
      z.string().regex(/^\d+$/, 'must be a whole number of seconds').transform(Number).pipe(z.number().int().min(0).max(3600)).default(60),
    ),
    /**
     * A Segment track or alias from a user no call has tied to a customer is parked; after this many
     * days unclaimed the maintenance schedule drops it (and counts it in its run's result and log).
     */
    SEGMENT_PARKED_TTL_DAYS: z.preprocess(
      emptyAsUndefined,
      z.string().regex(/^\d+$/, 'must be a whole number of days').transform(Number).pipe(z.number().int().min(1).max(3650)).default(30),
    ),
    /** Webhook senders may sign event bodies with this instead of an API key (HMAC-SHA256, x-cs-signature). */
    INGEST_WEBHOOK_SECRET: z.preprocess(emptyAsUndefined, z.string().min(16, 'must be at least 16 characters').optional()),
    /** JSON: the ops' own CloudEvents types and the engine event type each becomes, e.g. `{"com.acme.login": "usage"}`. */
    CLOUDEVENTS_TYPE_MAP: z
      .string()
      .max(256 * 1024, 'at most 256 KiB')
      .optional()
      .transform((raw, ctx): TCloudEventTypeMap => {
        const parsed = parseCloudEventTypeMap(raw);
        if (parsed.ok) return parsed.map;
        // "CLOUDEVENTS_TYPE_MAP.com.acme.login: must be one of …": the type and what is wrong with it.
        ctx.addIssue({ code: 'custom', message: parsed.message, path: parsed.path });
        return z.NEVER;
      }),
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
  })
  .superRefine((config, ctx) => {
    const fail = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if ((config.TEMPORAL_TLS_CERT === undefined) !== (config.TEMPORAL_TLS_KEY === undefined)) {
      fail('TEMPORAL_TLS_KEY', 'set both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY, or neither');
    } else if (config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY) {
      const cert = new X509Certificate(config.TEMPORAL_TLS_CERT.pem);
      if (!cert.checkPrivateKey(createPrivateKey(config.TEMPORAL_TLS_KEY.pem))) {
        fail('TEMPORAL_TLS_KEY', `${config.TEMPORAL_TLS_KEY.path} is not the private key of the certificate in TEMPORAL_TLS_CERT`);
      }
    }
    const tlsFiles = (['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_CA', 'TEMPORAL_TLS_SERVER_NAME'] as const).filter((name) => config[name] !== undefined);
    if (config.TEMPORAL_TLS === false && tlsFiles.length > 0) fail('TEMPORAL_TLS', `is off, but ${tlsFiles.join(' and ')} asks for TLS`);
    // The embedded dev server speaks plaintext and checks no key: credentials need a real server.
    const credentials = [...(config.TEMPORAL_API_KEY ? ['TEMPORAL_API_KEY'] : []), ...(config.TEMPORAL_TLS ? ['TEMPORAL_TLS'] : []), ...tlsFiles];
    if (!config.TEMPORAL_ADDRESS && credentials.length > 0) {
      fail(
        'TEMPORAL_ADDRESS',
        `must name the server ${credentials.join(', ')} ${credentials.length > 1 ? 'are' : 'is'} for (without it the engine runs its own plaintext dev server)`,
      );
    }
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
