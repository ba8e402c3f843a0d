/**
 * Email settings for plays, validated once at start-up (part of `ZEngineConfig`). No SMTP_URL means
 * "use the embedded SMTP sink" under `npm start`; the worker alone (`cli worker`) requires one.
 */
import { z } from 'zod';

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

export const ZMailSettings = {
  /** `smtp://host:587` (STARTTLS when offered) or `smtps://host:465`; may carry `user:pass@`. */
  SMTP_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^smtps?:\/\/[^\s/]+(:\d+)?\/?$/, 'must be smtp://host:port or smtps://host:port')
      .optional(),
  ),
  MAIL_FROM: z.preprocess(emptyAsUndefined, z.string().min(3).default('CS Lifecycle Engine <cs-engine@localhost>')),
  SMTP_USER: z.preprocess(emptyAsUndefined, z.string().optional()),
  SMTP_PASSWORD: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** starttls: require STARTTLS; tls: implicit TLS; none: plain (local relays, test sinks). Default: as the URL says. */
  SMTP_TLS: z.preprocess(emptyAsUndefined, z.enum(['starttls', 'tls', 'none']).optional()),
};

export const ZMailConfig = z.object(ZMailSettings).refine((config) => (config.SMTP_USER === undefined) === (config.SMTP_PASSWORD === undefined), {
  message: 'set both SMTP_USER and SMTP_PASSWORD, or neither',
  path: ['SMTP_PASSWORD'],
});
export type TMailConfig = z.infer<typeof ZMailConfig>;
