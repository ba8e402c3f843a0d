/** The backtest's pure parts: what a simulation leaves, how two of them differ, how they add up. */
import { bandDays, compareOutcomes, firstStageDifference, outcomeOf, weekOf, weekSamples, type Outcome } from '../../src/backtest/outcome';
import { handoffFromRecords } from '../../src/backtest/portfolio-source';
import { BacktestTally } from '../../src/backtest/tally';
import type { Simulation } from '../../src/simulate/simulator';

const DAY = 24 * 60 * 60 * 1000;
const START = Date.parse('2026-01-05T09:00:00Z'); // a Monday
const span = { startMs: START, untilDay: 99 };

const outcome = (partial: Partial<Outcome>): Outcome => ({
  definitionVersion: 'v1',
  stagePath: [{ day: 0, stage: 'onboarding' }],
  bands: [{ day: 0, band: 'none' }],
  plays: [],
  ...partial,
});

describe('outcomeOf', () => {
  const health = (day: number, band: string) => ({
    day,
    entry: { seq: day, at: '', kind: 'health' as const, summary: '', cause: { type: 'handoff' as const }, definitionVersion: 'v1', detail: { band } },
  });
  it.each([
    ['no evaluation yet', [], [{ day: 0, band: 'none' }]],
    [
      'a band from its day on',
      [health(0, 'insufficient_data'), health(5, 'green')],
      [
        { day: 0, band: 'insufficient_data' },
        { day: 5, band: 'green' },
      ],
    ],
    [
      'the last change of a day wins',
      [health(3, 'yellow'), health(3, 'red')],
      [
        { day: 0, band: 'none' },
        { day: 3, band: 'red' },
      ],
    ],
    [
      'a score move in the same band is no change',
      [health(2, 'green'), health(9, 'green')],
      [
        { day: 0, band: 'none' },
        { day: 2, band: 'green' },
      ],
    ],
    [
      'a day that goes back to the band before is no change',
      [health(2, 'green'), health(4, 'red'), health(4, 'green')],
      [
        { day: 0, band: 'none' },
        { day: 2, band: 'green' },
      ],
    ],
  ])('%s', (_, timeline, expected) => {
    const simulation = { definitionVersion: 'v1', stagePath: [{ day: 0, stage: 'onboarding' }], plays: [], timeline } as unknown as Simulation;
    expect(outcomeOf(simulation).bands).toEqual(expected);
  });
});

describe('firstStageDifference', () => {
  const path = (...moves: [number, string][]) => moves.map(([day, stage]) => ({ day, stage }));
  it.each([
    ['the same path', path([0, 'onboarding'], [30, 'adoption']), path([0, 'onboarding'], [30, 'adoption']), null],
    ['a later move', path([0, 'onboarding'], [30, 'adoption']), path([0, 'onboarding'], [41, 'adoption']), 30],
    ['an earlier move', path([0, 'onboarding'], [30, 'adoption']), path([0, 'onboarding'], [12, 'adoption']), 12],
    ['another stage', path([0, 'onboarding'], [30, 'adoption']), path([0, 'onboarding'], [30, 'retention']), 30],
    ['a move more', path([0, 'onboarding']), path([0, 'onboarding'], [50, 'adoption']), 50],
    ['a move less', path([0, 'onboarding'], [50, 'adoption']), path([0, 'onboarding']), 50],
  ])('%s', (_, baseline, candidate, expected) => {
    expect(firstStageDifference(baseline, candidate)).toBe(expected);
  });
});

describe('bandDays', () => {
  it.each([
    ['one band all along', [{ day: 0, band: 'green' as const }], 9, { green: 10 }],
    [
      'split at a change',
      [
        { day: 0, band: 'none' as const },
        { day: 3, band: 'yellow' as const },
        { day: 7, band: 'red' as const },
      ],
      9,
      { none: 3, yellow: 4, red: 3 },
    ],
    [
      'a change after the end counts nothing',
      [
        { day: 0, band: 'green' as const },
        { day: 20, band: 'red' as const },
      ],
      9,
      { green: 10 },
    ],
  ])('%s', (_, bands, untilDay, expected) => {
    expect(bandDays(bands, untilDay)).toEqual({ green: 0, yellow: 0, red: 0, insufficient_data: 0, none: 0, ...expected });
  });
});

describe('compareOutcomes', () => {
  const green = outcome({ bands: [{ day: 0, band: 'green' }] });
  it.each<[string, Outcome, Outcome, { changed: boolean; red: string; differingDays: number; stagesChanged: boolean; plays: Record<string, unknown> }]>([
    ['the same outcome', green, green, { changed: false, red: 'same', differingDays: 0, stagesChanged: false, plays: {} }],
    [
      'turns red earlier',
      outcome({
        bands: [
          { day: 0, band: 'yellow' },
          { day: 50, band: 'red' },
        ],
      }),
      outcome({
        bands: [
          { day: 0, band: 'yellow' },
          { day: 20, band: 'red' },
        ],
      }),
      { changed: true, red: 'earlier', differingDays: 30, stagesChanged: false, plays: {} },
    ],
    [
      'turns red where it never did',
      outcome({ bands: [{ day: 0, band: 'yellow' }] }),
      outcome({
        bands: [
          { day: 0, band: 'yellow' },
          { day: 90, band: 'red' },
        ],
      }),
      { changed: true, red: 'earlier', differingDays: 10, stagesChanged: false, plays: {} },
    ],
    [
      'turns red later (or never)',
      outcome({ bands: [{ day: 0, band: 'red' }] }),
      outcome({ bands: [{ day: 0, band: 'yellow' }] }),
      { changed: true, red: 'later', differingDays: 100, stagesChanged: false, plays: {} },
    ],
    [
      'starts a play more',
      outcome({ plays: [{ day: 5, playId: 'kickoff' }] }),
      outcome({
        plays: [
          { day: 5, playId: 'kickoff' },
          { day: 30, playId: 'red_account' },
        ],
      }),
      { changed: true, red: 'same', differingDays: 0, stagesChanged: false, plays: { red_account: { baseline: 0, candidate: 1 } } },
    ],
    [
      'starts the same play on another day',
      outcome({ plays: [{ day: 5, playId: 'kickoff' }] }),
      outcome({ plays: [{ day: 6, playId: 'kickoff' }] }),
      { changed: true, red: 'same', differingDays: 0, stagesChanged: false, plays: {} },
    ],
    [
      'moves stage on another day',
      outcome({
        stagePath: [
          { day: 0, stage: 'onboarding' },
          { day: 30, stage: 'adoption' },
        ],
      }),
      outcome({
        stagePath: [
          { day: 0, stage: 'onboarding' },
          { day: 40, stage: 'adoption' },
        ],
      }),
      { changed: true, red: 'same', differingDays: 0, stagesChanged: true, plays: {} },
    ],
  ])('%s', (_, baseline, candidate, expected) => {
    const diff = compareOutcomes('acme', span, baseline, candidate);
    expect({
      changed: diff.changed,
      red: diff.red.change,
      differingDays: diff.bandDays.differingDays,
      stagesChanged: diff.stages.changed,
      plays: diff.plays,
    }).toEqual(expected);
  });

  it('ranks a longer band difference above a shorter one', () => {
    const a = compareOutcomes(
      'a',
      span,
      outcome({ bands: [{ day: 0, band: 'green' }] }),
      outcome({
        bands: [
          { day: 0, band: 'green' },
          { day: 90, band: 'yellow' },
        ],
      }),
    );
    const b = compareOutcomes(
      'b',
      span,
      outcome({ bands: [{ day: 0, band: 'green' }] }),
      outcome({
        bands: [
          { day: 0, band: 'green' },
          { day: 10, band: 'yellow' },
        ],
      }),
    );
    expect(b.magnitude).toBeGreaterThan(a.magnitude);
  });
});

describe('weekly samples and the tally', () => {
  it('samples the band at the end of each calendar week and counts plays in their week', () => {
    const baseline = outcome({ bands: [{ day: 0, band: 'green' }], plays: [{ day: 1, playId: 'p' }] });
    const candidate = outcome({
      bands: [
        { day: 0, band: 'green' },
        { day: 8, band: 'red' },
      ],
      plays: [
        { day: 9, playId: 'p' },
        { day: 10, playId: 'q' },
      ],
    });
    const weeks = weekSamples({ startMs: START, untilDay: 13 }, baseline, candidate);
    expect(weeks.map((w) => [new Date(w.weekMs).toISOString().slice(0, 10), w.baseline, w.candidate, w.baselinePlays, w.candidatePlays])).toEqual([
      ['2026-01-05', 'green', 'green', 1, 0],
      ['2026-01-12', 'green', 'red', 0, 2],
    ]);
    expect(weekOf(START + 3 * DAY)).toBe(Date.parse('2026-01-05T00:00:00Z'));
  });

  it('adds customers up and keeps only those that change', () => {
    const tally = new BacktestTally('candidate');
    const same = outcome({ bands: [{ day: 0, band: 'green' }], plays: [{ day: 1, playId: 'p' }] });
    const redder = outcome({
      bands: [
        { day: 0, band: 'green' },
        { day: 50, band: 'red' },
      ],
      plays: [
        { day: 1, playId: 'p' },
        { day: 50, playId: 'red_account' },
      ],
    });
    for (const [id, candidate] of [
      ['b', redder],
      ['a', same],
      ['c', redder],
    ] as const) {
      const playCounts: Record<string, { baseline: number; candidate: number }> = {};
      same.plays.forEach((p) => ((playCounts[p.playId] ??= { baseline: 0, candidate: 0 }).baseline += 1));
      candidate.plays.forEach((p) => ((playCounts[p.playId] ??= { baseline: 0, candidate: 0 }).candidate += 1));
      tally.add({ diff: compareOutcomes(id, span, same, candidate), weeks: weekSamples(span, same, candidate), playCounts });
    }
    tally.skip('d', 'no customer row in the database');
    const report = tally.report();
    expect(report.changed.map((d) => d.customerId)).toEqual(['b', 'c']);
    expect(report.plays).toEqual({ red_account: { baseline: 0, candidate: 2 } });
    expect(report.summary).toMatchObject({ customers: 3, changed: 2, redEarlier: 2, redLater: 0, skipped: 1, simulations: 6 });
    expect(report.summary.bandDays.candidate.red).toBe(100);
    expect(tally.count).toBe(4);
  });
});

describe('handoffFromRecords', () => {
  const records = {
    customer: { id: 'acme', name: 'Acme', csmOwner: 'dana@example.com', arr: 150_000, contractStart: null, contractEnd: null, createdAt: new Date(START) },
    firstTerm: { startsAt: new Date(START), endsAt: new Date(START + 365 * DAY), arr: 150_000 },
    newArr: 120_000,
    stakeholders: [
      { stakeholderId: 'c1', name: 'Cleo', role: 'champion', email: 'cleo@acme.example', leftAt: null },
      { stakeholderId: 'c2', name: 'Ned', role: 'user', email: null, leftAt: null },
      { stakeholderId: 'c3', name: 'Old', role: 'decision_maker', email: null, leftAt: new Date(START - DAY) },
    ],
    addedLater: new Set(['c2']),
  };
  it('takes the ARR as handed off, the first term, and the stakeholders known on day 0', () => {
    const result = handoffFromRecords(records, START);
    expect(result).toMatchObject({
      ok: true,
      handoff: {
        customerId: 'acme',
        arr: 120_000,
        contractStart: new Date(START).toISOString(),
        contractEnd: new Date(START + 365 * DAY).toISOString(),
        stakeholders: [{ id: 'c1', name: 'Cleo', role: 'champion', email: 'cleo@acme.example' }],
      },
    });
  });
  it('says why when no contract dates are recorded', () => {
    expect(handoffFromRecords({ ...records, firstTerm: undefined }, START)).toEqual({ ok: false, reason: 'no contract dates are recorded' });
  });
});
