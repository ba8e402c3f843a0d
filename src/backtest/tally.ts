/**
 * The portfolio's backtest, added up customer by customer as results arrive (in any order): totals
 * and weekly series for every customer, the full comparison only for those that change. What the
 * report and the page read. Pure: no I/O, no clock.
 */
import { BANDS, type BandDays, type CustomerDiff, type WeekSample } from './outcome';

export interface CustomerResult {
  diff: CustomerDiff;
  weeks: WeekSample[];
  /** Plays started per play in each run (all of them, not only those that differ). */
  playCounts: Record<string, { baseline: number; candidate: number }>;
}

export interface BacktestFailure {
  customerId: string;
  message: string;
}

export interface WeekTotals {
  weekMs: number;
  baseline: BandDays;
  candidate: BandDays;
  baselinePlays: number;
  candidatePlays: number;
}

export interface BacktestSummary {
  customers: number;
  changed: number;
  stagePathChanged: number;
  redEarlier: number;
  redLater: number;
  bandDays: { baseline: BandDays; candidate: BandDays };
  playsStarted: { baseline: number; candidate: number };
  failed: number;
  /** Customers not replayed (no row, handed off after the window, a handoff that does not validate). */
  skipped: number;
  /** Simulations run (two per customer: baseline and candidate). */
  simulations: number;
}

export interface BacktestReport {
  candidate: string;
  /** The baseline versions the customers ran, with how many customers each. */
  baselines: Record<string, number>;
  summary: BacktestSummary;
  /** Customers that change, by customer id. */
  changed: CustomerDiff[];
  /** Per play, started in all the baseline runs and in all the candidate runs, where they differ. */
  plays: Record<string, { baseline: number; candidate: number }>;
  weeks: WeekTotals[];
  failures: BacktestFailure[];
  skipped: BacktestFailure[];
}

const noDays = (): BandDays => Object.fromEntries(BANDS.map((b) => [b, 0])) as BandDays;
const addDays = (into: BandDays, days: BandDays) => BANDS.forEach((b) => (into[b] += days[b]));

export class BacktestTally {
  private customers = 0;
  private readonly changed: CustomerDiff[] = [];
  private readonly failures: BacktestFailure[] = [];
  private readonly skipped: BacktestFailure[] = [];
  private readonly bandDays = { baseline: noDays(), candidate: noDays() };
  private readonly plays = new Map<string, { baseline: number; candidate: number }>();
  private readonly playsStarted = { baseline: 0, candidate: 0 };
  private readonly weeks = new Map<number, WeekTotals>();
  private readonly baselines = new Map<string, number>();

  constructor(private readonly candidate: string) {}

  add({ diff, weeks, playCounts }: CustomerResult): void {
    this.customers += 1;
    if (diff.changed) this.changed.push(diff);
    this.baselines.set(diff.baselineVersion, (this.baselines.get(diff.baselineVersion) ?? 0) + 1);
    addDays(this.bandDays.baseline, diff.bandDays.baseline);
    addDays(this.bandDays.candidate, diff.bandDays.candidate);
    this.playsStarted.baseline += diff.playsStarted.baseline;
    this.playsStarted.candidate += diff.playsStarted.candidate;
    for (const [playId, counts] of Object.entries(playCounts)) {
      const total = this.plays.get(playId) ?? { baseline: 0, candidate: 0 };
      total.baseline += counts.baseline;
      total.candidate += counts.candidate;
      this.plays.set(playId, total);
    }
    for (const week of weeks) {
      const totals = this.weeks.get(week.weekMs) ?? { weekMs: week.weekMs, baseline: noDays(), candidate: noDays(), baselinePlays: 0, candidatePlays: 0 };
      totals.baseline[week.baseline] += 1;
      totals.candidate[week.candidate] += 1;
      totals.baselinePlays += week.baselinePlays;
      totals.candidatePlays += week.candidatePlays;
      this.weeks.set(week.weekMs, totals);
    }
  }

  fail(customerId: string, message: string): void {
    this.failures.push({ customerId, message: message.slice(0, 500) });
  }

  skip(customerId: string, reason: string): void {
    this.skipped.push({ customerId, message: reason });
  }

  /** Customers done: replayed, failed or skipped. */
  get count(): number {
    return this.customers + this.failures.length + this.skipped.length;
  }

  report(): BacktestReport {
    const changed = [...this.changed].sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
    const plays = Object.fromEntries([...this.plays].filter(([, c]) => c.baseline !== c.candidate).sort(([a], [b]) => (a < b ? -1 : 1)));
    return {
      candidate: this.candidate,
      baselines: Object.fromEntries([...this.baselines].sort(([a], [b]) => (a < b ? -1 : 1))),
      summary: {
        customers: this.customers,
        changed: changed.length,
        stagePathChanged: changed.filter((d) => d.stages.changed).length,
        redEarlier: changed.filter((d) => d.red.change === 'earlier').length,
        redLater: changed.filter((d) => d.red.change === 'later').length,
        bandDays: this.bandDays,
        playsStarted: this.playsStarted,
        failed: this.failures.length,
        skipped: this.skipped.length,
        simulations: this.customers * 2,
      },
      changed,
      plays,
      weeks: [...this.weeks.values()].sort((a, b) => a.weekMs - b.weekMs),
      failures: [...this.failures].sort((a, b) => (a.customerId < b.customerId ? -1 : 1)),
      skipped: [...this.skipped].sort((a, b) => (a.customerId < b.customerId ? -1 : 1)),
    };
  }
}
