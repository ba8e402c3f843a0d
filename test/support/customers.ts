/** Builders for handoffs and events, so scenarios read like what happens to a customer. */
import { ZCustomerHandoff, type TCustomerEvent, type TCustomerHandoff } from '../../src/domain/customer-events';
import { uniqueSuffix } from './servers';

const DAY_MS = 24 * 60 * 60 * 1000;

export function handoff(overrides: Partial<TCustomerHandoff> & { startAt: number }): TCustomerHandoff {
  const { startAt, ...rest } = overrides;
  return ZCustomerHandoff.parse({
    customerId: `cust-${uniqueSuffix()}`,
    name: 'Acme',
    arr: 60_000,
    contractStart: new Date(startAt).toISOString(),
    contractEnd: new Date(startAt + 365 * DAY_MS).toISOString(),
    csmOwner: 'dana@example.com',
    seatsPurchased: 50,
    stakeholders: [
      { id: 'champ', name: 'Priya', role: 'champion' },
      { id: 'sponsor', name: 'Tom', role: 'executive_sponsor' },
    ],
    ...rest,
  });
}

let counter = 0;
const nextId = (prefix: string) => `${prefix}-${uniqueSuffix()}-${++counter}`;

export const milestone = (name: string, at: number): TCustomerEvent => ({
  id: nextId(name),
  type: 'milestone',
  milestone: name,
  occurredAt: new Date(at).toISOString(),
});

export const usage = (at: number, fields: Partial<Extract<TCustomerEvent, { type: 'usage' }>> = {}): TCustomerEvent => ({
  id: nextId('usage'),
  type: 'usage',
  logins: 30,
  activeUsers: 40,
  seatsUsed: 45,
  seatsPurchased: 50,
  keyFeaturesUsed: ['dashboards', 'reports', 'alerts', 'integrations', 'api', 'sso'],
  lastLoginAt: new Date(at).toISOString(),
  occurredAt: new Date(at).toISOString(),
  ...fields,
});

export const survey = (kind: 'nps' | 'csat' | 'ces', score: number, at: number): TCustomerEvent => ({
  id: nextId(kind),
  type: 'survey',
  survey: kind,
  score,
  occurredAt: new Date(at).toISOString(),
});

/** CS met the stakeholder: the evidence that counts them as engaged (named at the handoff is not). */
export const engaged = (stakeholder: { id: string; name: string; role: 'champion' | 'executive_sponsor' | 'user' }, at: number): TCustomerEvent => ({
  id: nextId(`engaged-${stakeholder.id}`),
  type: 'stakeholder',
  action: 'engaged',
  stakeholder,
  occurredAt: new Date(at).toISOString(),
});

export const DAY = DAY_MS;
