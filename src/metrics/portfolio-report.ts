/**
 * The portfolio report behind `GET /v1/metrics` and `cli metrics`: reads the stored components
 * and computes each metric with the pure functions in `portfolio.ts`.
 */
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import type { PrismaClient } from '../generated/prisma/client';
import { booksOfBusiness, nps, retention, timeToValue } from './portfolio';

const DAY_MS = 24 * 60 * 60 * 1000;

export type PortfolioReport = Awaited<ReturnType<typeof portfolioReport>>;

export async function portfolioReport(prisma: PrismaClient, definition: TLifecycleDefinition, days: number) {
  const to = new Date();
  const from = new Date(to.getTime() - days * DAY_MS);
  const [movements, npsRows, firstValues, customers] = await Promise.all([
    prisma.arrMovement.findMany({ select: { customerId: true, kind: true, amount: true, occurredAt: true } }),
    prisma.surveyResponse.findMany({ where: { survey: 'nps', occurredAt: { gte: from } }, select: { score: true } }),
    prisma.ingestedEvent.findMany({
      // Delivered only: an event its sender was told failed (and may never resend) is not a fact yet.
      where: { type: 'milestone', deliveredAt: { not: null }, payload: { path: ['milestone'], equals: 'first_value' } },
      select: { customerId: true, occurredAt: true },
    }),
    prisma.customer.findMany({
      select: {
        id: true,
        name: true,
        segment: true,
        arr: true,
        csmOwner: true,
        contractStart: true,
        contractEnd: true,
        contractStatus: true,
        healthBand: true,
        healthScore: true,
        stage: true,
      },
    }),
  ]);
  const active = customers.filter((cu) => cu.contractStatus !== 'churned');
  const byId = new Map(customers.map((cu) => [cu.id, cu]));
  const firstValueAt = new Map<string, Date>();
  for (const fv of firstValues)
    if (!firstValueAt.has(fv.customerId) || fv.occurredAt < firstValueAt.get(fv.customerId)!) firstValueAt.set(fv.customerId, fv.occurredAt);
  const ttvRows = [...firstValueAt].flatMap(([id, at]) => {
    const cu = byId.get(id);
    return cu?.contractStart ? [{ segment: cu.segment ?? 'unknown', days: Math.max(0, Math.round((at.getTime() - cu.contractStart.getTime()) / DAY_MS)) }] : [];
  });
  const period = retention(
    movements.map((m) => ({ ...m, amount: Number(m.amount) })),
    from,
    to,
  );
  const health = { green: 0, yellow: 0, red: 0, insufficient_data: 0, unknown: 0 };
  for (const cu of active) health[(cu.healthBand as keyof typeof health) ?? 'unknown'] = (health[(cu.healthBand as keyof typeof health) ?? 'unknown'] ?? 0) + 1;
  const soon = new Date(to.getTime() + 90 * DAY_MS);
  const row = (cu: (typeof customers)[number]) => ({
    customerId: cu.id,
    name: cu.name,
    arr: Number(cu.arr),
    stage: cu.stage,
    healthScore: cu.healthScore,
    healthBand: cu.healthBand,
    csmOwner: cu.csmOwner,
    renewalDate: cu.contractEnd?.toISOString() ?? null,
  });
  return {
    period: { days, from: from.toISOString(), to: to.toISOString() },
    arr: { total: active.reduce((a, cu) => a + Number(cu.arr), 0), ...period },
    nps: nps(npsRows.map((r) => r.score)),
    timeToValue: timeToValue(ttvRows),
    health,
    renewalsDue90Days: active
      .filter((cu) => cu.contractEnd && cu.contractEnd >= to && cu.contractEnd <= soon)
      .sort((a, b) => a.contractEnd!.getTime() - b.contractEnd!.getTime())
      .map(row),
    atRisk: active
      .filter((cu) => cu.healthBand === 'red')
      .sort((a, b) => Number(b.arr) - Number(a.arr))
      .map(row),
    booksOfBusiness: booksOfBusiness(
      active.map((cu) => ({ csmOwner: cu.csmOwner ?? 'unassigned', segment: cu.segment ?? 'unknown', arr: Number(cu.arr) })),
      Object.fromEntries(definition.segments.map((segment) => [segment.id, segment.csmRatio])),
    ),
  };
}
