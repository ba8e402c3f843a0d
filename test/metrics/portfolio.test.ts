import { booksOfBusiness, nps, percentile, retention, timeToValue, type ArrMovementRow } from '../../src/metrics/portfolio';

const d = (iso: string) => new Date(`${iso}T00:00:00Z`);
const m = (customerId: string, kind: string, amount: number, at: string): ArrMovementRow => ({ customerId, kind, amount, occurredAt: d(at) });

describe('retention (NRR, GRR)', () => {
  const from = d('2026-01-01');
  const to = d('2026-04-01');

  it.each<[string, ArrMovementRow[], Partial<ReturnType<typeof retention>>]>([
    ['no cohort yet', [m('a', 'new', 100, '2026-02-01')], { startingArr: 0, nrr: null, grr: null, cohortCustomers: 0 }],
    ['flat', [m('a', 'new', 100, '2025-06-01')], { startingArr: 100, nrr: 1, grr: 1 }],
    [
      'expansion lifts NRR above 100 %, GRR stays at 100 %',
      [m('a', 'new', 100, '2025-06-01'), m('a', 'expansion', 20, '2026-02-01')],
      { expansionArr: 20, nrr: 1.2, grr: 1 },
    ],
    [
      'contraction and churn pull both down',
      [m('a', 'new', 100, '2025-06-01'), m('b', 'new', 100, '2025-06-01'), m('a', 'contraction', 30, '2026-02-01'), m('b', 'churn', 100, '2026-03-01')],
      { startingArr: 200, contractionArr: 30, churnArr: 100, nrr: 0.35, grr: 0.35, churnedCustomers: 1, logoChurnRate: 0.5 },
    ],
    [
      'a customer new in the period is outside the cohort',
      [m('a', 'new', 100, '2025-06-01'), m('n', 'new', 500, '2026-02-01'), m('n', 'expansion', 50, '2026-03-01')],
      { startingArr: 100, expansionArr: 0, nrr: 1, cohortCustomers: 1, newArr: 500 },
    ],
    [
      'a customer new in the period who churns shows beside the cohort, not in it',
      [m('a', 'new', 100, '2025-06-01'), m('n', 'new', 500, '2026-02-01'), m('n', 'churn', 500, '2026-03-01')],
      { churnArr: 0, newArr: 500, newCustomerChurnArr: 500, churnedCustomers: 0, logoChurnRate: 0, nrr: 1 },
    ],
    [
      'movements before the period count in the starting ARR',
      [m('a', 'new', 100, '2025-06-01'), m('a', 'expansion', 50, '2025-09-01'), m('a', 'churn', 150, '2026-02-01')],
      { startingArr: 150, churnArr: 150, nrr: 0, grr: 0 },
    ],
    ['movements after the period are ignored', [m('a', 'new', 100, '2025-06-01'), m('a', 'churn', 100, '2026-05-01')], { churnArr: 0, nrr: 1 }],
  ])('%s', (_, movements, expected) => {
    expect(retention(movements, from, to)).toMatchObject(expected);
  });
});

describe('NPS', () => {
  it.each<[number[], number | null]>([
    [[], null],
    [[10, 9, 10], 100],
    [[0, 6, 3], -100],
    [[10, 8, 3, 7], 0],
    [[10, 9, 8, 2], 25],
  ])('%j gives %p', (scores, expected) => {
    expect(nps(scores).score).toBe(expected);
  });
});

describe('time to value', () => {
  it.each<[number[], number, number | null]>([
    [[], 50, null],
    [[7], 50, 7],
    [[7], 90, 7],
    [[10, 20], 50, 15],
    [[10, 20, 30], 50, 20],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9.1],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0, 1],
  ])('percentile of %j at p%d is %p', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it('gives median and p90 by segment', () => {
    expect(
      timeToValue([
        { segment: 'smb', days: 10 },
        { segment: 'smb', days: 30 },
        { segment: 'smb', days: 20 },
        { segment: 'ent', days: 80 },
      ]),
    ).toEqual({
      ent: { customers: 1, medianDays: 80, p90Days: 80 },
      smb: { customers: 3, medianDays: 20, p90Days: 28 },
    });
  });
});

describe('books of business', () => {
  it("weighs each account by its segment's CSM ratio", () => {
    const books = booksOfBusiness(
      [
        { csmOwner: 'dana', segment: 'enterprise', arr: 100 },
        { csmOwner: 'dana', segment: 'enterprise', arr: 100 },
        { csmOwner: 'lee', segment: 'tech_touch', arr: 10 },
      ],
      { enterprise: 20, tech_touch: 200 },
    );
    expect(books).toEqual([
      { csmOwner: 'dana', accounts: 2, arr: 200, load: 0.1, bySegment: { enterprise: 2 } },
      { csmOwner: 'lee', accounts: 1, arr: 10, load: 0.005, bySegment: { tech_touch: 1 } },
    ]);
  });
});
