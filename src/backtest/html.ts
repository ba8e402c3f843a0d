/**
 * The backtest as one self-contained HTML page (`--html report.html`): charts drawn as SVG by
 * ECharts' server-side renderer, as the engine's own pages are (src/pages/charts.ts), and inline
 * CSS, so the file opens anywhere, attached to a pull request or offline, with no CDN and no script.
 */
import { bandColour, renderChart } from '../pages/charts';
import { BANDS, type Band } from './outcome';
import { mostChanged, type ReportLabels } from './report';
import type { BacktestReport } from './tally';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const week = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Bands the charts draw: `none` (not yet evaluated) only when some week has it. */
const SHOWN: Band[] = ['green', 'yellow', 'red', 'insufficient_data', 'none'];

function bandChart(report: BacktestReport, side: 'baseline' | 'candidate', max: number): string {
  const weeks = report.weeks;
  const shown = SHOWN.filter((band) => weeks.some((w) => w.baseline[band] > 0 || w.candidate[band] > 0));
  return renderChart(
    {
      title: { text: side, left: 'center', textStyle: { fontSize: 13 } },
      legend: { top: 22 },
      grid: { left: 50, right: 10, top: 55, bottom: 30 },
      xAxis: { type: 'category', data: weeks.map((w) => week(w.weekMs)) },
      yAxis: { type: 'value', name: 'customers', minInterval: 1, max },
      series: shown.map((band) => ({
        name: band,
        type: 'line',
        stack: 'band',
        areaStyle: {},
        symbol: 'none',
        itemStyle: { color: bandColour(band) },
        lineStyle: { width: 0 },
        data: weeks.map((w) => w[side][band]),
      })),
    },
    560,
    300,
  );
}

function playsChart(report: BacktestReport): string {
  return renderChart(
    {
      legend: { top: 0 },
      grid: { left: 50, right: 10, top: 30, bottom: 30 },
      xAxis: { type: 'category', data: report.weeks.map((w) => week(w.weekMs)) },
      yAxis: { type: 'value', name: 'plays started', minInterval: 1 },
      series: [
        { name: 'baseline', type: 'bar', itemStyle: { color: '#8a8f98' }, data: report.weeks.map((w) => w.baselinePlays) },
        { name: 'candidate', type: 'bar', itemStyle: { color: '#3b6fd6' }, data: report.weeks.map((w) => w.candidatePlays) },
      ],
    },
    1140,
    280,
  );
}

function mostChangedChart(report: BacktestReport): string {
  const top = mostChanged(report, 15).reverse();
  if (top.length === 0) return '<p>No customer changes.</p>';
  return renderChart(
    {
      grid: { left: 160, right: 30, top: 10, bottom: 30 },
      xAxis: { type: 'value', name: 'days in another band', minInterval: 1 },
      yAxis: { type: 'category', data: top.map((d) => d.customerId) },
      series: [{ type: 'bar', itemStyle: { color: bandColour('red') }, data: top.map((d) => d.bandDays.differingDays) }],
    },
    1140,
    Math.max(120, 40 + top.length * 24),
  );
}

const row = (cells: (string | number)[], head = false) =>
  `<tr>${cells.map((c) => (head ? `<th>${escape(String(c))}</th>` : `<td>${escape(String(c))}</td>`)).join('')}</tr>`;

export function reportPage(report: BacktestReport, labels: ReportLabels): string {
  const { summary } = report;
  const max = Math.max(1, ...report.weeks.map((w) => Math.max(...(['baseline', 'candidate'] as const).map((s) => BANDS.reduce((n, b) => n + w[s][b], 0)))));
  const changedRows = report.changed
    .slice(0, 500)
    .map((d) =>
      row([
        d.customerId,
        d.stages.changed ? `day ${d.stages.firstDifferenceDay}: ${d.stages.baseline.join(' > ')} → ${d.stages.candidate.join(' > ')}` : '—',
        d.red.change === 'same' ? '—' : `${d.red.baseline ?? 'never'} → ${d.red.candidate ?? 'never'} (${d.red.change})`,
        d.bandDays.differingDays,
        Object.entries(d.plays)
          .map(([play, c]) => `${play} ${c.baseline}→${c.candidate}`)
          .join(', ') || '—',
      ]),
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Backtest: ${escape(labels.candidate)}</title>
<style>
body { font-family: 'DejaVu Sans', system-ui, sans-serif; margin: 24px auto; max-width: 1180px; color: #1d2430; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 13px; } th, td { border-bottom: 1px solid #e3e6ea; padding: 4px 10px; text-align: left; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
.pair { display: flex; gap: 20px; flex-wrap: wrap; } .muted { color: #6b7280; }
</style></head><body>
<h1>Backtest: candidate ${escape(labels.candidate)}</h1>
<p class="muted">against ${escape(labels.baseline)}; ${summary.customers} customers replayed (${summary.simulations} simulations), ${summary.changed} change${summary.skipped ? `, ${summary.skipped} skipped` : ''}${summary.failed ? `, ${summary.failed} failed` : ''}.</p>
<h2>Summary</h2>
<table>${row(['', 'baseline', 'candidate'], true)}${row(['customers that change', '', summary.changed])}${row(['stage path changed', '', summary.stagePathChanged])}${row(['red earlier', '', summary.redEarlier])}${row(['red later', '', summary.redLater])}${BANDS.map((b) => row([`days ${b}`, summary.bandDays.baseline[b], summary.bandDays.candidate[b]])).join('')}${row(['plays started', summary.playsStarted.baseline, summary.playsStarted.candidate])}</table>
<h2>Band distribution per week (customers at the end of each week)</h2>
<div class="pair">${bandChart(report, 'baseline', max)}${bandChart(report, 'candidate', max)}</div>
<h2>Plays started per week</h2>
${playsChart(report)}
<h2>Plays that start more or less often</h2>
<table>${row(['play', 'baseline', 'candidate'], true)}${Object.entries(report.plays)
    .map(([play, c]) => row([play, c.baseline, c.candidate]))
    .join('')}</table>
<h2>Customers that change most</h2>
${mostChangedChart(report)}
<h2>Customers that change</h2>
<table>${row(['customer', 'stage path', 'first red day', 'days in another band', 'plays'], true)}${changedRows}</table>
${report.changed.length > 500 ? `<p class="muted">… and ${report.changed.length - 500} more (see --json).</p>` : ''}
</body></html>
`;
}
