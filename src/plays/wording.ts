/**
 * The words of a play run: the templates of a play's own steps filled in for a customer. Pure and
 * sandbox-safe.
 */
import type { PlayCustomerContext } from './customer-context';
import type { TPlay } from './definition';

/** What each `{{placeholder}}` stands for, for this customer, play and recipient. */
export function templateValues(ctx: PlayCustomerContext, play: Pick<TPlay, 'label' | 'goal'>, why: string, recipientName = ''): Record<string, string> {
  const byRole = (role: string) => ctx.stakeholders.find((s) => s.role === role)?.name ?? '';
  return {
    'customer.id': ctx.customerId,
    'customer.name': ctx.name,
    'customer.arr': ctx.arr.toLocaleString('en-US'),
    'customer.segment': ctx.segment,
    'customer.stage': ctx.stage,
    'customer.renewalDate': ctx.contractEnd.slice(0, 10),
    'customer.successCriteria': ctx.successCriteria.join('; ') || '—',
    'customer.goals': ctx.goals.join('; ') || '—',
    'customer.stakeholders': ctx.stakeholders.map((s) => `${s.name} (${s.role}${s.engaged ? '' : ', not engaged'})`).join(', ') || '—',
    'customer.objections': ctx.objections.join('; ') || '—',
    'customer.competitors': ctx.competitors.join('; ') || '—',
    csm: ctx.csmOwner,
    'health.score': ctx.health?.score === null || ctx.health === null ? 'no data yet' : String(ctx.health.score),
    'health.band': ctx.health?.band ?? 'no data yet',
    'health.reasons': ctx.health?.reasons.join('; ') || '—',
    'play.label': play.label,
    'play.goal': play.goal,
    trigger: why,
    'recipient.name': recipientName,
    'champion.name': byRole('champion'),
    'sponsor.name': byRole('executive_sponsor'),
  };
}

/** Fills `{{placeholders}}` (validated when the definition loaded, so every one is known). */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, key: string) => values[key] ?? '');
}
