/**
 * The backtest's report as text (what a person reads in a terminal or a pull request) and as JSON
 * (what CI reads). The text lists at most `LIST_LIMIT` customers per section; the JSON all of them.
 */
import { BANDS, type BandDays, type CustomerDiff } from './outcome';
import type { BacktestReport } from './tally';

const LIST_LIMIT = 50;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface ReportLabels {
  candidate: string;
  /** How the baseline was chosen: a version or module given, or each customer's own. */
  baseline: string;
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
const dateOf = (diff: CustomerDiff, day: number) => new Date((Math.floor(diff.startMs / DAY_MS) + day) * DAY_MS).toISOString().slice(0, 10);
const dayText = (diff: CustomerDiff, day: number | null) => (day === null ? 'never' : `day ${day} (${dateOf(diff, day)})`);

function table(rows: string[][], indent = '  '): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map(
    (r) =>
      indent +
      r
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
  );
}

function limited<T>(items: T[], line: (item: T) => string): string[] {
  const lines = items.slice(0, LIST_LIMIT).map(line);
  if (items.length > LIST_LIMIT) lines.push(`  … and ${items.length - LIST_LIMIT} more (--json lists them all)`);
  return lines.length > 0 ? lines : ['  none'];
}

function bandRows(baseline: BandDays, candidate: BandDays): string[][] {
  return [
    ['band', 'baseline', 'candidate', 'change'],
    ...BANDS.filter((b) => baseline[b] > 0 || candidate[b] > 0).map((b) => [b, String(baseline[b]), String(candidate[b]), signed(candidate[b] - baseline[b])]),
  ];
}

/** Ranked by how much they change, then by id. */
export const mostChanged = (report: BacktestReport, count: number): CustomerDiff[] =>
  [...report.changed].sort((a, b) => b.magnitude - a.magnitude || (a.customerId < b.customerId ? -1 : 1)).slice(0, count);

export function formatReport(report: BacktestReport, labels: ReportLabels): string {
  const { summary } = report;
  const stageChanges = report.changed.filter((d) => d.stages.changed);
  const redChanges = report.changed.filter((d) => d.red.change !== 'same');
  const lines = [
    `Backtest: candidate ${labels.candidate} against ${labels.baseline}`,
    `${summary.customers} customer(s) replayed (${summary.simulations} simulations); ${summary.changed} change` +
      (summary.skipped > 0 ? `; ${summary.skipped} skipped` : '') +
      (summary.failed > 0 ? `; ${summary.failed} failed` : ''),
    '',
    'Stage path changes (first day it differs)',
    ...limited(
      stageChanges,
      (d) => `  ${d.customerId}  ${dayText(d, d.stages.firstDifferenceDay)}: ${d.stages.baseline.join(' > ')}  ->  ${d.stages.candidate.join(' > ')}`,
    ),
    '',
    'Turns red earlier or later (first red day, baseline -> candidate)',
    ...limited(redChanges, (d) => {
      const by =
        d.red.baseline !== null && d.red.candidate !== null ? ` (${Math.abs(d.red.candidate - d.red.baseline)} days ${d.red.change})` : ` (${d.red.change})`;
      return `  ${d.customerId}  ${dayText(d, d.red.baseline)} -> ${dayText(d, d.red.candidate)}${by}`;
    }),
    '',
    'Days in each band, all customers (a day counts in the band it ends in)',
    ...table(bandRows(summary.bandDays.baseline, summary.bandDays.candidate)),
    '',
    'Plays started, per play where the count differs',
    ...(Object.keys(report.plays).length > 0
      ? table([
          ['play', 'baseline', 'candidate', 'change'],
          ...Object.entries(report.plays).map(([play, c]) => [play, String(c.baseline), String(c.candidate), signed(c.candidate - c.baseline)]),
        ])
      : ['  none']),
    '',
    'Customers that change most',
    ...limited(mostChanged(report, 10), (d) => {
      const parts = [
        `${d.bandDays.differingDays} day(s) in another band`,
        ...(d.stages.changed ? ['stage path changed'] : []),
        ...(d.red.change !== 'same' ? [`red ${d.red.change}`] : []),
        ...Object.entries(d.plays).map(([play, c]) => `${play} ${signed(c.candidate - c.baseline)}`),
      ];
      return `  ${d.customerId}  ${parts.join(', ')}`;
    }),
    '',
    'Summary',
    ...table([
      ['', 'baseline', 'candidate'],
      ['customers', String(summary.customers), ''],
      ['changed', '', String(summary.changed)],
      ['stage path changed', '', String(summary.stagePathChanged)],
      ['red earlier', '', String(summary.redEarlier)],
      ['red later', '', String(summary.redLater)],
      ['red days', String(summary.bandDays.baseline.red), String(summary.bandDays.candidate.red)],
      ['yellow days', String(summary.bandDays.baseline.yellow), String(summary.bandDays.candidate.yellow)],
      ['green days', String(summary.bandDays.baseline.green), String(summary.bandDays.candidate.green)],
      ['plays started', String(summary.playsStarted.baseline), String(summary.playsStarted.candidate)],
    ]),
    ...(report.skipped.length > 0 ? ['', 'Skipped', ...limited(report.skipped, (s) => `  ${s.customerId}: ${s.message}`)] : []),
    ...(report.failures.length > 0 ? ['', 'Failed', ...limited(report.failures, (s) => `  ${s.customerId}: ${s.message}`)] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** The report for machines: everything, dates as ISO strings, weeks by their Monday. */
export function reportJson(report: BacktestReport, labels: ReportLabels): unknown {
  return {
    candidate: labels.candidate,
    baseline: labels.baseline,
    baselines: report.baselines,
    summary: report.summary,
    changed: report.changed.map((d) => ({
      ...d,
      start: new Date(d.startMs).toISOString(),
      startMs: undefined,
    })),
    plays: report.plays,
    weeks: report.weeks.map(({ weekMs, ...rest }) => ({ week: new Date(weekMs).toISOString().slice(0, 10), ...rest })),
    skipped: report.skipped,
    failures: report.failures,
  };
}
