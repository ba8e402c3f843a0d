/**
 * The portfolio page (`/`): the tiles of `GET /v1/metrics` (the same summary queries, so the numbers
 * are the same, without the report's full lists), health by band and segment and over 90 days, the stage funnel, renewals of the next 120
 * days, the at-risk list with each customer's reasons in words, and each CSM's book against the
 * segment's ratio. Filters narrow everything but the tiles and the books, which are portfolio-wide.
 */
import { html } from 'hono/html';
import { healthReasons } from '../domain/health-reasons';
import { STAGE_IDS, type TLifecycleDefinition } from '../domain/lifecycle-definition';
import type { PrismaClient } from '../generated/prisma/client';
import { portfolioSummary } from '../metrics/portfolio-report';
import {
  atRiskCustomers,
  filterChoices,
  healthBySegment,
  healthTrend,
  RENEWAL_DAYS,
  stageFunnel,
  TREND_DAYS,
  upcomingRenewals,
  type BandCount,
  type FunnelStage,
  type PortfolioFilter,
  type TrendPoint,
} from '../metrics/portfolio-views';
import { bandColour, renderChart } from './charts';
import { formatMoney, formatNumber, formatPercent } from './format';
import { bandBadge, day, page, svg, type Html } from './layout';

const BANDS = ['green', 'yellow', 'red'];
export const METRICS_DAYS = 90;

/**
 * Each chart is drawn as soon as its data is in, so the rendering (synchronous, about 25 ms for the
 * four) runs while the database still works on the slower aggregates, not after the last of them.
 */
export async function portfolioPage(prisma: PrismaClient, definition: TLifecycleDefinition, filter: PortfolioFilter, csrf: string): Promise<Html> {
  const bySegmentQuery = healthBySegment(prisma, filter);
  const trendQuery = healthTrend(prisma, filter);
  const funnelQuery = stageFunnel(prisma, definition, filter);
  const renewalsQuery = upcomingRenewals(prisma, filter);
  // Both health charts show every band either of them has, so they wait for each other.
  const healthCharts = Promise.all([bySegmentQuery, trendQuery]).then(([bySegment, trend]) => {
    const bandsSeen = [...new Set([...BANDS, ...bySegment.map((r) => r.band), ...trend.map((t) => t.band)])];
    return { distribution: distributionChart(bySegment, bandsSeen), trendChart: trendChart(trend, bandsSeen) };
  });
  const [report, funnel, renewals, atRisk, choices, { distribution, trendChart: trendSvg }, funnelSvg, renewalSvg] = await Promise.all([
    portfolioSummary(prisma, definition, METRICS_DAYS),
    funnelQuery,
    renewalsQuery,
    atRiskCustomers(prisma, filter),
    filterChoices(prisma),
    healthCharts,
    funnelQuery.then(funnelChart),
    renewalsQuery.then(renewalChart),
  ]);
  const period = `last ${report.period.days} days (${day(report.period.from)} – ${day(report.period.to)})`;
  const tile = (metric: string, label: string, value: number | null, shown: string, note: string) =>
    html`<div class="tile" data-metric="${metric}" data-value="${value === null ? '' : String(value)}">
      <div class="label">${label}</div>
      <div class="value">${shown}</div>
      <div class="muted small">${note}</div>
    </div>`;
  const ttv = Object.entries(report.timeToValue);

  const select = (name: string, label: string, options: string[], current?: string) =>
    html`<label
      >${label}
      <select name="${name}">
        <option value="">all</option>
        ${options.map((o) => html`<option value="${o}" ${o === current ? 'selected' : ''}>${o.replace(/_/g, ' ')}</option>`)}
      </select></label
    >`;
  const books = report.booksOfBusiness.filter((b) => !filter.csmOwner || b.csmOwner === filter.csmOwner);

  const body = html`
    <h1>Portfolio</h1>
    <form method="get" action="/" class="filters" id="filters">
      ${select('segment', 'Segment', choices.segments, filter.segment)} ${select('csm', 'CSM', choices.csms, filter.csmOwner)}
      ${select('stage', 'Stage', [...STAGE_IDS], filter.stage)} ${select('band', 'Band', [...BANDS, 'unknown'], filter.band)}
      <button type="submit">Apply</button> <a href="/" class="muted">clear</a>
    </form>
    <div class="tiles">
      ${tile('nrr', 'NRR', report.arr.nrr, formatPercent(report.arr.nrr), period)} ${tile('grr', 'GRR', report.arr.grr, formatPercent(report.arr.grr), period)}
      ${tile(
        'logoChurnRate',
        'Logo churn',
        report.arr.logoChurnRate,
        formatPercent(report.arr.logoChurnRate),
        `${report.arr.churnedCustomers} of ${report.arr.cohortCustomers}, ${period}`,
      )}
      ${tile('nps', 'NPS', report.nps.score, formatNumber(report.nps.score), `${report.nps.responses} responses, ${period}`)}
      <div class="tile" data-metric="timeToValue">
        <div class="label">Time to value (median)</div>
        <div class="value">${ttv.length === 0 ? '—' : ''}</div>
        ${ttv.map(
          ([segment, t]) =>
            html`<div class="small" data-segment="${segment}" data-value="${t.medianDays ?? ''}">
              ${segment}: <strong>${formatNumber(t.medianDays)} days</strong> <span class="muted">(p90 ${formatNumber(t.p90Days)}, ${t.customers})</span>
            </div>`,
        )}
        <div class="muted small">all customers who reached first value</div>
      </div>
      ${tile('arr', 'ARR', report.arr.total, formatMoney(report.arr.total), 'active customers, today')}
    </div>
    <div class="grid">
      <section class="card">
        <h2>Health by band and segment</h2>
        <div class="chart" id="health-distribution">${svg(distribution)}</div>
      </section>
      <section class="card">
        <h2>Health over the last ${TREND_DAYS} days</h2>
        <div class="chart" id="health-trend">${svg(trendSvg)}</div>
      </section>
      <section class="card">
        <h2>Stage funnel</h2>
        <div class="chart">${svg(funnelSvg)}</div>
        <table id="funnel">
          <tr>
            <th>Stage</th>
            <th class="num">Customers</th>
            <th class="num">Median days in stage</th>
            <th class="num">Behind</th>
            <th class="num">Stuck</th>
          </tr>
          ${funnel.map(
            (f) =>
              html`<tr data-stage="${f.stage}">
                <td>${f.stage}</td>
                <td class="num">${f.customers}</td>
                <td class="num">${formatNumber(f.medianDaysInStage)}</td>
                <td class="num">${f.behind}</td>
                <td class="num">${f.stuck}</td>
              </tr>`,
          )}
        </table>
      </section>
    </div>
    <section class="card" style="margin-top:16px">
      <h2>Books of business</h2>
      <p class="muted small">Load: accounts over the segment's CSM ratio (100 % is a full book).</p>
      <table id="books">
        <tr>
          <th>CSM</th>
          <th class="num">Accounts</th>
          <th class="num">ARR</th>
          <th>By segment</th>
          <th class="num">Load</th>
        </tr>
        ${books.map(
          (b) =>
            html`<tr data-csm="${b.csmOwner}">
              <td><a href="/tasks?assignee=${encodeURIComponent(b.csmOwner)}">${b.csmOwner}</a></td>
              <td class="num">${b.accounts}</td>
              <td class="num">${formatMoney(b.arr)}</td>
              <td class="small">
                ${Object.entries(b.bySegment)
                  .map(([s, n]) => `${s} ${n}`)
                  .join(' · ')}
              </td>
              <td class="num ${b.load > 1 ? 'overdue' : ''}">${formatPercent(b.load)}</td>
            </tr>`,
        )}
      </table>
    </section>
    <section class="card" style="margin-top:16px">
      <h2>
        Renewals in the next ${RENEWAL_DAYS} days
        <span class="muted small">${renewals.total} renewals, ${formatMoney(renewals.arr)} ARR; colour: band, size: ARR</span>
      </h2>
      <div class="chart" id="renewals">${svg(renewalSvg)}</div>
    </section>
    <section class="card" style="margin-top:16px">
      <h2>
        At risk
        <span class="muted small">${atRisk.total} red${atRisk.total > atRisk.customers.length ? `, the ${atRisk.customers.length} largest shown` : ''}</span>
      </h2>
      <table id="at-risk">
        <tr>
          <th>Customer</th>
          <th class="num">ARR</th>
          <th>Health</th>
          <th>Why</th>
          <th>Stage</th>
          <th>CSM</th>
          <th>Renewal</th>
        </tr>
        ${atRisk.customers.map(
          (r) =>
            html`<tr data-customer="${r.customerId}">
              <td><a href="/customers/${encodeURIComponent(r.customerId)}">${r.name}</a></td>
              <td class="num">${formatMoney(r.arr)}</td>
              <td>${formatNumber(r.healthScore)} ${bandBadge(r.healthBand)}</td>
              <td>
                <ul class="reasons">
                  ${healthReasons({ dimensions: r.dimensions }, { stakeholdersLeft: r.stakeholdersLeft }).map(
                    (reason) => html`<li data-metric="${reason.metric}">${reason.text}</li>`,
                  )}
                </ul>
              </td>
              <td>${r.stage}</td>
              <td>${r.csmOwner ?? '—'}</td>
              <td>${day(r.renewalDate)}</td>
            </tr>`,
        )}
      </table>
    </section>
  `;
  return page('Portfolio', body, { csrf, active: '/' });
}

function distributionChart(bySegment: BandCount[], bandsSeen: string[]): string {
  const segments = [...new Set(bySegment.map((r) => r.segment))];
  return renderChart(
    {
      tooltip: {},
      legend: { top: 0 },
      grid: { left: 40, right: 10, top: 30, bottom: 30 },
      xAxis: { type: 'category', data: segments },
      yAxis: { type: 'value', name: 'customers', minInterval: 1 },
      series: bandsSeen.map((band) => ({
        name: band,
        type: 'bar',
        stack: 'band',
        itemStyle: { color: bandColour(band) },
        data: segments.map((s) => bySegment.find((r) => r.segment === s && r.band === band)?.customers ?? 0),
      })),
    },
    560,
    260,
  );
}

function trendChart(trend: TrendPoint[], bandsSeen: string[]): string {
  // Every day of the window on the axis: before a customer's first score it is simply not counted.
  const today = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  const days = Array.from({ length: TREND_DAYS }, (_, i) => new Date(today - (TREND_DAYS - 1 - i) * 86_400_000).toISOString().slice(0, 10));
  return renderChart(
    {
      legend: { top: 0 },
      grid: { left: 40, right: 10, top: 30, bottom: 30 },
      xAxis: { type: 'category', data: days, boundaryGap: false },
      yAxis: { type: 'value', name: 'customers', minInterval: 1 },
      series: bandsSeen.map((band) => ({
        name: band,
        type: 'line',
        stack: 'band',
        areaStyle: {},
        showSymbol: false,
        itemStyle: { color: bandColour(band) },
        lineStyle: { color: bandColour(band) },
        data: days.map((d) => trend.find((t) => t.day === d && t.band === band)?.customers ?? 0),
      })),
    },
    560,
    260,
  );
}

function funnelChart(funnel: FunnelStage[]): string {
  return renderChart(
    {
      legend: { top: 0 },
      grid: { left: 90, right: 20, top: 30, bottom: 20 },
      yAxis: { type: 'category', data: funnel.map((f) => f.stage).reverse() },
      xAxis: { type: 'value', minInterval: 1 },
      series: [
        { name: 'on track', color: '#5b7bd6', data: funnel.map((f) => f.customers - f.behind - f.stuck).reverse() },
        { name: 'behind', color: '#d9a400', data: funnel.map((f) => f.behind).reverse() },
        { name: 'stuck', color: '#d64545', data: funnel.map((f) => f.stuck).reverse() },
      ].map((s) => ({ ...s, type: 'bar' as const, stack: 'sla', itemStyle: { color: s.color } })),
    },
    560,
    240,
  );
}

function renewalChart(renewals: Awaited<ReturnType<typeof upcomingRenewals>>): string {
  const now = Date.now();
  return renderChart(
    {
      grid: { left: 90, right: 30, top: 20, bottom: 40 },
      xAxis: {
        type: 'time',
        min: now,
        max: now + RENEWAL_DAYS * 86_400_000,
        splitNumber: 6,
        axisLabel: { formatter: '{yyyy}-{MM}-{dd}', hideOverlap: true },
      },
      yAxis: { type: 'category', data: [...new Set(renewals.customers.map((r) => r.segment ?? 'unknown'))] },
      series: [
        {
          type: 'scatter',
          data: renewals.customers.map((r) => ({
            name: r.name,
            value: [Date.parse(r.renewalDate!), r.segment ?? 'unknown', r.arr],
            symbolSize: Math.max(8, Math.min(48, Math.sqrt(r.arr) / 8)),
            itemStyle: { color: bandColour(r.healthBand), opacity: 0.8 },
            label: { show: renewals.customers.length <= 20, formatter: '{b}', position: 'top', fontSize: 10, color: '#5d6472' },
          })),
        },
      ],
    },
    1100,
    240,
  );
}
