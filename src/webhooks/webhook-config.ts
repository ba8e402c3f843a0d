/**
 * Where play webhooks go: `WEBHOOK_TARGETS` maps a target name used in play definitions (`crm`,
 * `support_desk`) to a URL and the secret its body is signed with. Parsed once at start-up; a
 * wrong value stops start-up naming the target and the field.
 */
import { z } from 'zod';

export const ZWebhookTarget = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    secret: z.string().min(16, 'must be at least 16 characters'),
    timeoutMs: z.number().int().positive().default(10_000),
  })
  .strict();
export type TWebhookTarget = z.infer<typeof ZWebhookTarget>;

export const ZWebhookTargets = z.record(z.string().regex(/^[a-z0-9_]+$/, 'target names are lower_snake_case'), ZWebhookTarget);
export type TWebhookTargets = z.infer<typeof ZWebhookTargets>;

export function parseWebhookTargets(raw: string | undefined): TWebhookTargets {
  if (raw === undefined || raw.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new Error(`WEBHOOK_TARGETS: not valid JSON (${(error as Error).message})`);
  }
  // Checked first: zod reports a bad record key only as "Invalid key in record".
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const bad = Object.keys(json).find((name) => !/^[a-z0-9_]+$/.test(name));
    if (bad !== undefined) throw new Error(`WEBHOOK_TARGETS.${bad}: target names are lower_snake_case`);
  }
  const parsed = ZWebhookTargets.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`WEBHOOK_TARGETS${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`);
  }
  return parsed.data;
}
