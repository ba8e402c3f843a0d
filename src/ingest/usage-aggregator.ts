/**
 * Sums raw product-usage hits per customer and delivers one aggregated `usage` event per customer
 * per flush. Temporal's guidance is at most a few signals per second per workflow; product
 * analytics can send thousands of hits a minute, so hits are rolled up before they are signalled.
 *
 * A window's event id is derived from the customer and the window, and a failed delivery keeps the
 * window to retry it with the same id: a redelivered rollup is recognised by the workflow as a
 * repeat, so usage is never counted twice and never dropped while the process lives.
 */
import type { TCustomerEvent } from '../domain/customer-events';

export interface UsageHit {
  customerId: string;
  userId?: string;
  at: string;
  /** A key feature used in this hit, if any. */
  feature?: string;
  seatsUsed?: number;
  seatsPurchased?: number;
  /** Whether the hit is a login (default) or another interaction. */
  login?: boolean;
}

type UsageEvent = Extract<TCustomerEvent, { type: 'usage' }>;

interface Window {
  openedAt: string;
  logins: number;
  users: Set<string>;
  features: Set<string>;
  lastLoginAt?: string;
  seatsUsed?: number;
  seatsPurchased?: number;
}

export interface UsageAggregatorOptions {
  deliver: (customerId: string, event: UsageEvent) => Promise<void>;
  now?: () => Date;
}

export class UsageAggregator {
  private readonly open = new Map<string, Window>();
  /** Rolled-up events whose delivery failed, kept with their ids to retry as they were. */
  private readonly undelivered = new Map<string, UsageEvent[]>();
  private readonly now: () => Date;

  constructor(private readonly options: UsageAggregatorOptions) {
    this.now = options.now ?? (() => new Date());
  }

  record(hit: UsageHit): void {
    let window = this.open.get(hit.customerId);
    if (!window) {
      window = { openedAt: this.now().toISOString(), logins: 0, users: new Set(), features: new Set() };
      this.open.set(hit.customerId, window);
    }
    if (hit.login !== false) {
      window.logins += 1;
      if (!window.lastLoginAt || hit.at > window.lastLoginAt) window.lastLoginAt = hit.at;
    }
    if (hit.userId) window.users.add(hit.userId);
    if (hit.feature) window.features.add(hit.feature);
    if (hit.seatsUsed !== undefined) window.seatsUsed = hit.seatsUsed;
    if (hit.seatsPurchased !== undefined) window.seatsPurchased = hit.seatsPurchased;
  }

  /** Hits waiting for the next flush, across customers. */
  get pendingCustomers(): number {
    return this.open.size + this.undelivered.size;
  }

  /** Delivers one event per customer; returns how many were delivered. Failures stay queued. */
  async flush(): Promise<number> {
    const closedAt = this.now().toISOString();
    for (const [customerId, window] of this.open) {
      const event: UsageEvent = {
        id: `usage:${customerId}:${window.openedAt}/${closedAt}`,
        type: 'usage',
        occurredAt: closedAt,
        logins: window.logins,
        activeUsers: window.users.size > 0 ? window.users.size : undefined,
        seatsUsed: window.seatsUsed,
        seatsPurchased: window.seatsPurchased,
        keyFeaturesUsed: [...window.features],
        lastLoginAt: window.lastLoginAt,
      };
      this.undelivered.set(customerId, [...(this.undelivered.get(customerId) ?? []), event]);
    }
    this.open.clear();

    let delivered = 0;
    await Promise.all(
      [...this.undelivered].map(async ([customerId, events]) => {
        const remaining: UsageEvent[] = [];
        for (const event of events) {
          try {
            await this.options.deliver(customerId, event);
            delivered += 1;
          } catch {
            remaining.push(event);
          }
        }
        if (remaining.length > 0) this.undelivered.set(customerId, remaining);
        else this.undelivered.delete(customerId);
      }),
    );
    return delivered;
  }
}
