/**
 * The API's Prometheus metrics (prom-client): requests by route and status with their latency,
 * events accepted / duplicate / rejected, and play outcomes. Each API app has its own registry, so
 * tests can build several in one process; `cli api` serves it on /metrics (`ops-server.ts`).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PrismaClient } from '../generated/prisma/client';

export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'cs_api_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'cs_api_request_duration_seconds',
    help: 'Time from request to answer, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'cs_api_events_total',
    help: 'Customer events sent to the API: accepted (new), duplicate (id seen before), rejected (in a request refused as invalid, each request counted once)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor({ defaultMetrics = false }: { defaultMetrics?: boolean } = {}) {
    for (const outcome of ['accepted', 'duplicate', 'rejected']) this.events.inc({ outcome }, 0);
    // Process metrics (memory, event loop lag) only for the one registry a process serves.
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Play runs by play and outcome, read from the database at each scrape: the worker writes them,
   * any API replica reports the same totals (a gauge: take max, not sum, across replicas).
   */
  watchPlayRuns(prisma: PrismaClient): void {
    new Gauge({
      name: 'cs_play_runs',
      help: 'Play runs recorded, by play and status (running, or how it ended); the same figure on every API replica',
      labelNames: ['play', 'status'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const rows = await prisma.playRun.groupBy({ by: ['playId', 'status'], _count: { _all: true } }).catch(() => []);
        for (const row of rows) this.set({ play: row.playId, status: row.status }, row._count._all);
      },
    });
  }
}
