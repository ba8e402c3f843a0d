import type { z } from 'zod';
import type { TCustomerEvent } from '../../src/domain/customer-events';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { ZPlay, ZPlaySettings, type TPlay } from '../../src/plays/definition';
import {
  capBlocks,
  decidePlays,
  emptyPlayState,
  matchTrigger,
  observationsFor,
  quietHoursDelayMs,
  renderTemplate,
  resolveRecipient,
  templateValues,
  waitSatisfied,
  type PlayCustomerContext,
  type PlayOccurrence,
  type PlayState,
} from '../../src/plays';
import { addDays, ruleContext } from '../domain/fixtures';

const NOW = '2026-03-02T10:00:00.000Z'; // a Monday
const CAUSE = { type: 'event', id: 'e-1', eventType: 'usage' } as const;

function play(overrides: Partial<z.input<typeof ZPlay>> = {}): TPlay {
  return ZPlay.parse({
    id: 'test_play',
    label: 'Test play',
    goal: 'a goal',
    owner: { responsible: 'csm' },
    trigger: { on: 'band_changed', to: ['red'] },
    steps: [{ id: 'task', kind: 'task', assignee: 'csm', title: 'Do it', dueInDays: 1 }],
    ...overrides,
  });
}

const survey = (score: number): TCustomerEvent => ({ id: `s-${score}`, type: 'survey', survey: 'nps', score, occurredAt: NOW });
const champion = (action: 'left' | 'added'): TCustomerEvent => ({
  id: `st-${action}`,
  type: 'stakeholder',
  action,
  stakeholder: { id: 'c', name: 'Priya', role: 'champion' },
  occurredAt: NOW,
});
const renewalTimer = (ref: string): PlayOccurrence => ({
  kind: 'timer',
  timer: { id: `renewal:${ref}:2026-12-31`, kind: 'renewal', at: NOW, label: ref, ref },
});

describe('matchTrigger', () => {
  it.each<[string, z.input<typeof ZPlay>['trigger'], PlayOccurrence[], boolean]>([
    ['NPS 3 matches score <= 6', { on: 'event', event: 'survey', match: { survey: 'nps', score: { lte: 6 } } }, [{ kind: 'event', event: survey(3) }], true],
    [
      'NPS 9 does not match score <= 6',
      { on: 'event', event: 'survey', match: { survey: 'nps', score: { lte: 6 } } },
      [{ kind: 'event', event: survey(9) }],
      false,
    ],
    [
      'a dotted path reaches the stakeholder role',
      { on: 'event', event: 'stakeholder', match: { 'stakeholder.role': 'champion', action: ['left'] } },
      [{ kind: 'event', event: champion('left') }],
      true,
    ],
    [
      'a value outside the list does not match',
      { on: 'event', event: 'stakeholder', match: { action: ['left'] } },
      [{ kind: 'event', event: champion('added') }],
      false,
    ],
    ['the renewal rung named by step', { on: 'timer', timer: 'renewal', step: 'negotiation' }, [renewalTimer('negotiation')], true],
    ['another renewal rung', { on: 'timer', timer: 'renewal', step: 'negotiation' }, [renewalTimer('signature')], false],
    ['band changed into red', { on: 'band_changed', to: ['red'] }, [{ kind: 'band', from: 'yellow', to: 'red' }], true],
    ['band changed into yellow', { on: 'band_changed', to: ['red'] }, [{ kind: 'band', from: 'green', to: 'yellow' }], false],
    ['no verdict is no band change', { on: 'band_changed', to: ['red'] }, [{ kind: 'band', from: 'red', to: 'insufficient_data' }], false],
    ['entered expansion', { on: 'stage_entered', stage: 'expansion' }, [{ kind: 'stage', from: 'retention', to: 'expansion' }], true],
    ['left onboarding', { on: 'stage_left', stage: 'onboarding' }, [{ kind: 'stage', from: 'onboarding', to: 'adoption' }], true],
    ['stuck in any stage', { on: 'sla', threshold: 'stuck' }, [{ kind: 'sla', stage: 'onboarding', sla: 'stuck' }], true],
    ['behind is not stuck', { on: 'sla', threshold: 'stuck' }, [{ kind: 'sla', stage: 'onboarding', sla: 'behind' }], false],
    ['the handoff', { on: 'handoff' }, [{ kind: 'handoff' }], true],
  ])('%s', (_, trigger, occurrences, fires) => {
    const parsed = play({ trigger }).trigger;
    if (parsed.on === 'any') throw new Error('single triggers only');
    expect(matchTrigger(parsed, occurrences, CAUSE) !== undefined).toBe(fires);
  });

  it('names the event as the cause of an event trigger, and says why in words', () => {
    const parsed = play({ trigger: { on: 'event', event: 'survey', match: { survey: 'nps' } } }).trigger;
    if (parsed.on === 'any') throw new Error('single');
    expect(matchTrigger(parsed, [{ kind: 'event', event: survey(2) }], CAUSE)).toEqual({
      why: 'NPS 2',
      cause: { type: 'event', id: 's-2', eventType: 'survey' },
    });
  });
});

describe('decidePlays', () => {
  const ctx = (overrides: Partial<Parameters<typeof ruleContext>[0]> = {}) => ({ ...ruleContext(overrides), stage: 'retention' as const });

  it('fires a condition trigger on its false -> true edge only', () => {
    const p = play({ trigger: { on: 'condition', when: { kind: 'metric', metric: 'nps', op: '<=', value: 6 } } });
    const state = emptyPlayState();
    const run = (nps: number) => decidePlays([p], state, [], ctx({ metrics: { nps } }), CAUSE, NOW);
    expect(run(9)).toEqual([]);
    expect(run(3)).toHaveLength(1);
    state.active = []; // the first run ended
    expect(run(2)).toEqual([]); // still true: no new edge
    expect(run(8)).toEqual([]);
    expect(run(4)).toHaveLength(1); // a new edge
  });

  it('does not start a play whose stage filter or guard does not hold', () => {
    const occurrences: PlayOccurrence[] = [{ kind: 'band', from: 'yellow', to: 'red' }];
    expect(decidePlays([play({ stages: ['onboarding'] })], emptyPlayState(), occurrences, ctx(), CAUSE, NOW)).toEqual([]);
    expect(decidePlays([play({ onlyIf: { kind: 'band', in: ['green'] } })], emptyPlayState(), occurrences, ctx({ band: 'red' }), CAUSE, NOW)).toEqual([]);
    expect(decidePlays([play({ enabled: false })], emptyPlayState(), occurrences, ctx(), CAUSE, NOW)).toEqual([]);
  });

  it('numbers runs per customer and records why a capped play did not start', () => {
    const p = play({ caps: { cooldownDays: 30 } });
    const state = emptyPlayState();
    const occurrences: PlayOccurrence[] = [{ kind: 'band', from: 'yellow', to: 'red' }];
    const [first] = decidePlays([p], state, occurrences, ctx(), CAUSE, NOW);
    expect(first).toMatchObject({ runNumber: 1, why: 'health band yellow -> red' });
    const [again] = decidePlays([p], state, occurrences, ctx(), CAUSE, addDays(NOW, 1));
    expect(again).toMatchObject({ skipped: 'cooling down until 2026-04-01 (30 days between runs)' });
    expect(state.nextRun).toBe(2);
    state.active.push({ runId: 'r1', playId: 'test_play', startedAt: NOW, listensFor: [], goalNotified: false });
    expect(capBlocks(p, state, addDays(NOW, 40))).toBe('a run of this play is still in progress');
  });

  it('tries the triggers of an `any` in order and tracks each condition edge', () => {
    const p = play({
      trigger: {
        on: 'any',
        of: [
          { on: 'timer', timer: 'inactivity' },
          { on: 'condition', when: { kind: 'metric', metric: 'loginTrend', op: '<=', value: -0.4 } },
        ],
      },
    });
    const state = emptyPlayState();
    const [byCondition] = decidePlays([p], state, [], ctx({ metrics: { loginTrend: -0.5 } }), CAUSE, NOW);
    expect(byCondition?.why).toMatch(/condition met: loginTrend <= -0.4/);
    expect(state.conditions['test_play#1']).toBe(true);
  });
});

describe('capBlocks', () => {
  const DAY = (n: number) => addDays(NOW, n);
  const history = (starts: string[], total = starts.length): PlayState => ({ ...emptyPlayState(), history: { test_play: { starts, total } } });

  const at = (iso: string) => new Date(iso).toISOString();
  it.each<[string, z.input<typeof ZPlay>['caps'], PlayState, string, RegExp | undefined]>([
    ['no history, no cap', { cooldownDays: 30 }, emptyPlayState(), NOW, undefined],
    // Whole-day cooldowns count calendar days (UTC): the hour of the last start does not matter.
    ['on the 30th day, an hour earlier than the start', { cooldownDays: 30 }, history([at('2026-03-01T09:05:00.026Z')]), at('2026-03-31T08:05:00Z'), undefined],
    ['on the 60th day, milliseconds earlier', { cooldownDays: 60 }, history([at('2026-01-01T09:05:00.026Z')]), at('2026-03-02T09:05:00.020Z'), undefined],
    [
      'on the 29th day, late in the evening',
      { cooldownDays: 30 },
      history([at('2026-03-01T00:00:00Z')]),
      at('2026-03-30T23:59:59.999Z'),
      /cooling down until 2026-03-31 /,
    ],
    ['a one-day cooldown: not twice on one day', { cooldownDays: 1 }, history([at('2026-03-02T00:30:00Z')]), at('2026-03-02T23:30:00Z'), /until 2026-03-03 /],
    ['a one-day cooldown: the next day at once', { cooldownDays: 1 }, history([at('2026-03-02T23:30:00Z')]), at('2026-03-03T00:30:00Z'), undefined],
    // A fractional cooldown is hours, counted exactly.
    ['half a day, six hours on', { cooldownDays: 0.5 }, history([at('2026-03-02T02:00:00Z')]), at('2026-03-02T08:00:00Z'), /cooling down/],
    ['half a day, thirteen hours on', { cooldownDays: 0.5 }, history([at('2026-03-02T02:00:00Z')]), at('2026-03-02T15:00:00Z'), undefined],
    [
      'once a year: the start 365 days ago has left the window',
      { maxPerYear: 1 },
      history([at('2025-03-02T23:00:00Z')]),
      at('2026-03-02T01:00:00Z'),
      undefined,
    ],
    ['once a year: the start 364 days ago has not', { maxPerYear: 1 }, history([at('2025-03-03T01:00:00Z')]), at('2026-03-02T23:00:00Z'), /cap 1/],
    ['inside the cooldown', { cooldownDays: 30 }, history([DAY(-10)]), NOW, /cooling down until 2026-03-22/],
    ['after the cooldown', { cooldownDays: 30 }, history([DAY(-31)]), NOW, undefined],
    ['once per customer, already ran', { maxTotal: 1 }, history([DAY(-400)], 1), NOW, /already ran 1 time/],
    ['twice a year, two in the last 365 days', { maxPerYear: 2 }, history([DAY(-300), DAY(-20)]), NOW, /cap 2/],
    ['twice a year, one fell out of the window', { maxPerYear: 2 }, history([DAY(-380), DAY(-20)]), NOW, undefined],
  ])('%s', (_, caps, state, now, blocked) => {
    const reason = capBlocks(play({ caps }), state, now);
    if (blocked) expect(reason).toMatch(blocked);
    else expect(reason).toBeUndefined();
  });

  it('counts to the millisecond for a customer recorded before calendar days (exactDays)', () => {
    const cooldown = play({ caps: { cooldownDays: 60 } });
    const start = history([at('2026-01-01T09:05:00.026Z')]);
    expect(capBlocks(cooldown, start, at('2026-03-02T09:05:00.020Z'), { exactDays: true })).toBe('cooling down until 2026-03-02 (60 days between runs)');
    expect(capBlocks(cooldown, start, at('2026-03-02T09:05:00.026Z'), { exactDays: true })).toBeUndefined();
    const yearly = play({ caps: { maxPerYear: 1 } });
    expect(capBlocks(yearly, history([at('2025-03-02T23:00:00Z')]), at('2026-03-02T01:00:00Z'), { exactDays: true })).toMatch(/cap 1/);
  });
});

describe('quietHoursDelayMs', () => {
  const quiet = ZPlaySettings.shape.quietHours.parse({ fromHour: 19, toHour: 8, weekends: true });
  const hours = (ms: number) => ms / (60 * 60 * 1000);

  it.each([
    ['Monday 10:00 UTC is open', '2026-03-02T10:00:00.000Z', 'UTC', 0],
    ['Monday 22:30 UTC waits until Tuesday 08:00', '2026-03-02T22:30:00.000Z', 'UTC', 9.5],
    ['Monday 06:00 UTC waits two hours', '2026-03-02T06:00:00.000Z', 'UTC', 2],
    ['Saturday noon waits until Monday 08:00', '2026-03-07T12:00:00.000Z', 'UTC', 44],
    ['Friday 20:00 waits over the weekend', '2026-03-06T20:00:00.000Z', 'UTC', 60],
    ['10:00 UTC is 05:00 in New York (EST): waits 3 hours', '2026-03-02T10:00:00.000Z', 'America/New_York', 3],
    ['10:00 UTC is 19:00 in Tokyo: waits until 08:00 there', '2026-03-02T10:00:00.000Z', 'Asia/Tokyo', 13],
  ])('%s', (_, at, timezone, expectedHours) => {
    expect(hours(quietHoursDelayMs(Date.parse(at), timezone, quiet))).toBeCloseTo(expectedHours, 5);
  });

  it('without weekend quiet, Saturday noon is open', () => {
    expect(quietHoursDelayMs(Date.parse('2026-03-07T12:00:00.000Z'), 'UTC', { ...quiet, weekends: false })).toBe(0);
  });
});

describe('templates and recipients', () => {
  const settings = DEFAULT_LIFECYCLE.playSettings!;
  const customer: PlayCustomerContext = {
    customerWorkflowId: 'customer:acme',
    customerId: 'acme',
    name: 'Acme',
    arr: 48000,
    segment: 'mid_market',
    stage: 'retention',
    csmOwner: 'dana@vendor.example',
    contractEnd: '2027-01-31T00:00:00.000Z',
    timezone: 'UTC',
    health: { score: 42, band: 'red', reasons: ['Usage: daysSinceLastLogin = 20 (33/100)'] },
    stakeholders: [
      { id: 'c', name: 'Priya', role: 'champion', email: 'priya@acme.example', engaged: true },
      { id: 's', name: 'Tom', role: 'executive_sponsor', engaged: true },
    ],
    milestones: ['first_value'],
    successCriteria: ['Go live'],
    goals: ['Cut churn'],
    objections: [],
    competitors: [],
    definitionVersion: 'test',
  };

  it('fills every placeholder from the customer', () => {
    const values = templateValues(customer, { label: 'Red account', goal: 'Back to green' }, 'health band yellow -> red', 'Priya');
    expect(
      renderTemplate(
        '{{customer.name}} ({{ customer.arr }}) is {{health.band}}: {{health.reasons}}; hi {{recipient.name}}, renew by {{customer.renewalDate}}',
        values,
      ),
    ).toBe('Acme (48,000) is red: Usage: daysSinceLastLogin = 20 (33/100); hi Priya, renew by 2027-01-31');
  });

  it.each([
    ['csm', 'dana@vendor.example', false],
    ['csm_manager', 'cs-managers@example.com', false],
    ['sales', 'sales@example.com', false],
    ['champion', 'priya@acme.example', true],
    ['executive_sponsor', undefined, undefined], // no email on file
    ['decision_maker', undefined, undefined], // nobody in that role
  ] as const)('%s resolves to %s', (to, address, customerFacing) => {
    const recipient = resolveRecipient(to, customer, settings);
    expect(recipient?.address).toBe(address);
    expect(recipient?.customerFacing).toBe(customerFacing);
  });

  it('routes the manager by the CSM when the settings name one', () => {
    const routed = ZPlaySettings.parse({ ...settings, routing: { ...settings.routing, managerByCsm: { 'dana@vendor.example': 'lee@vendor.example' } } });
    expect(resolveRecipient('csm_manager', customer, routed)?.address).toBe('lee@vendor.example');
  });
});

describe('running plays', () => {
  const run = { runId: 'r1', playId: 'p', startedAt: NOW, listensFor: ['milestone:kickoff_held', 'band'], goalNotified: false };

  it('passes on only what a run listens for', () => {
    const milestone = (m: string): PlayOccurrence => ({ kind: 'event', event: { id: m, type: 'milestone', milestone: m, occurredAt: NOW } });
    expect(
      observationsFor(
        run,
        [milestone('kickoff_held'), milestone('setup_done'), { kind: 'band', from: 'red', to: 'yellow' }, { kind: 'event', event: survey(3) }],
        NOW,
      ),
    ).toEqual([
      { kind: 'milestone', milestone: 'kickoff_held', at: NOW },
      { kind: 'band', band: 'yellow', at: NOW },
    ]);
  });

  it.each([
    ['a milestone reached before the run began', { milestone: 'kickoff_held' }, [], ['kickoff_held'], true],
    ['a milestone observed since', { milestone: 'kickoff_held' }, [{ kind: 'milestone', milestone: 'kickoff_held', at: NOW }], [], true],
    ['another milestone', { milestone: 'kickoff_held' }, [{ kind: 'milestone', milestone: 'setup_done', at: NOW }], [], false],
    ['the band became yellow', { band: ['yellow', 'green'] }, [{ kind: 'band', band: 'yellow', at: NOW }], [], true],
    [
      'the band went yellow and back to red',
      { band: ['yellow', 'green'] },
      [
        { kind: 'band', band: 'yellow', at: NOW },
        { kind: 'band', band: 'red', at: NOW },
      ],
      [],
      false,
    ],
  ] as const)('wait satisfied by %s: %p', (_, waitFor, seen, milestones, satisfied) => {
    expect(waitSatisfied(waitFor as never, [...seen] as never, { milestones: [...milestones], band: 'red' })).toBe(satisfied);
  });
});
