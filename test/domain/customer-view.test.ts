/**
 * The customer view: what readers are shown, built from the working state. It holds what the API,
 * the CLI, the pages and the Temporal UI's details read, within its bounds, and none of the state's
 * internals.
 */
import { customerView, VIEW_LIMITS, type CustomerView } from '../../src/domain/customer-view';
import { ZCustomerView } from '../../src/domain/customer-view-schema';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import type { TLifecycleDefinition } from '../../src/domain/lifecycle-definition';
import { emptyChanges, evaluate, initialState, recordHandoff, type LifecycleState, type TimelineEntry } from '../../src/domain/lifecycle-state';
import type { PlannedTimer } from '../../src/domain/timer-plan';
import { addDays, handoff, HANDOFF_AT, stakeholder } from './fixtures';

const NOW = addDays(HANDOFF_AT, 12.5);

function customer(): LifecycleState {
  const state = initialState(handoff({ name: 'Acme', arr: 60_000 }), DEFAULT_LIFECYCLE, HANDOFF_AT);
  const changes = emptyChanges();
  recordHandoff(state, HANDOFF_AT, changes);
  evaluate(state, DEFAULT_LIFECYCLE, HANDOFF_AT, { type: 'handoff' }, changes);
  return state;
}

const entry = (seq: number, summary = `entry ${seq}`): TimelineEntry => ({
  seq,
  at: addDays(HANDOFF_AT, seq / 100),
  kind: 'event',
  summary,
  cause: { type: 'event', id: `e-${seq}`, eventType: 'usage' },
  definitionVersion: 'v1',
  detail: { eventType: 'usage' },
});
const timer = (n: number): PlannedTimer => ({ id: `qbr:${n}`, kind: 'qbr', at: addDays(NOW, n), label: `QBR ${n}` });

/** Builds, then parses: every case must also hold to the schema's bounds. */
const viewOf = (state: LifecycleState, timers: PlannedTimer[] = [], definition: TLifecycleDefinition | undefined = DEFAULT_LIFECYCLE) =>
  ZCustomerView.parse(customerView(state, definition, NOW, timers));

describe('the customer view', () => {
  it('shows the customer, its stage since when, the exit checklist and health, as of now', () => {
    const view = viewOf(customer(), [timer(1)]);
    expect(view).toMatchObject({
      viewVersion: 1,
      asOf: NOW,
      customer: { id: 'acme', name: 'Acme', arr: 60_000, csmOwner: expect.any(String), contractTerm: 1, contractStatus: 'active', payment: 'current' },
      stage: 'onboarding',
      stageEnteredAt: HANDOFF_AT,
      daysInStage: 12,
      sla: 'on_track',
      definitionVersion: DEFAULT_LIFECYCLE.version,
      upcomingTimers: [{ id: 'qbr:1', kind: 'qbr', label: 'QBR 1' }],
      plays: { running: [], finished: [] },
    });
    expect(view.stageOwner).toBe(DEFAULT_LIFECYCLE.stages[0]!.owner);
    expect(view.exit.required.length).toBeGreaterThan(0);
    expect(view.health).toMatchObject({ model: expect.any(String), dimensions: expect.any(Array), conditions: expect.any(Array) });
    expect(view.timeline[0]).toMatchObject({ kind: 'handoff', cause: { type: 'handoff' } });
  });

  it.each(['seenEventIds', 'firedTimers', 'nextSeq', 'handoff', 'dailyLogins', 'highSeverityOpenedAt', 'email'])('keeps the internal %s out', (key) => {
    const state = customer();
    state.seenEventIds['secret-event'] = NOW;
    state.facts.stakeholders.champ = { ...stakeholder('champ', 'champion', true), email: 'priya@acme.example' };
    expect(JSON.stringify(viewOf(state))).not.toContain(`"${key}":`);
  });

  type Case = [string, (state: LifecycleState) => void, (view: CustomerView) => void, PlannedTimer[]?];
  it.each<Case>([
    [
      'the latest timeline entries, oldest first',
      (s) => (s.timeline = Array.from({ length: 100 }, (_, i) => entry(i + 1))),
      (v) => expect(v.timeline.map((e) => e.seq)).toEqual(Array.from({ length: VIEW_LIMITS.timeline }, (_, i) => 100 - VIEW_LIMITS.timeline + 1 + i)),
    ],
    [
      'the first few timers',
      () => {},
      (v) => expect(v.upcomingTimers.map((t) => t.id)).toEqual(['qbr:0', 'qbr:1', 'qbr:2', 'qbr:3', 'qbr:4']),
      Array.from({ length: 9 }, (_, i) => timer(i)),
    ],
    [
      "one score per day, the day's last",
      (s) =>
        (s.healthHistory = [
          { at: '2026-01-02T01:00:00.000Z', score: 50 },
          { at: '2026-01-02T20:00:00.000Z', score: 55 },
          { at: '2026-01-03T01:00:00.000Z', score: 60 },
        ]),
      (v) =>
        expect(v.healthHistory).toEqual([
          { day: '2026-01-02', score: 55 },
          { day: '2026-01-03', score: 60 },
        ]),
    ],
    [
      'names and summaries clipped, never in the middle of a surrogate pair',
      (s) => {
        s.facts.name = `${'x'.repeat(199)}😀`;
        s.timeline = [entry(1, 'y'.repeat(5_000))];
      },
      (v) => {
        expect(v.customer.name).toBe('x'.repeat(199));
        expect(v.timeline[0]!.summary).toHaveLength(2_000);
      },
    ],
    [
      'milestones oldest first, as a bounded list',
      (s) => (s.facts.milestones = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`m_${i}`, addDays(HANDOFF_AT, 300 - i)]))),
      (v) => {
        expect(v.customer.milestones).toHaveLength(VIEW_LIMITS.milestones);
        expect(v.customer.milestones[0]).toEqual({ id: 'm_299', at: addDays(HANDOFF_AT, 1) });
      },
    ],
    [
      'stakeholders as shown: engaged or merely known, since when',
      (s) => (s.facts.stakeholders = { champ: stakeholder('champ', 'champion', true), tom: stakeholder('tom', 'executive_sponsor', false) }),
      (v) =>
        expect(v.customer.stakeholders).toEqual([
          { id: 'champ', name: 'Champ', role: 'champion', engaged: true, since: expect.any(String) },
          { id: 'tom', name: 'Tom', role: 'executive_sponsor', engaged: false, since: expect.any(String) },
        ]),
    ],
    [
      'open tickets counted, high and urgent apart',
      (s) =>
        (s.facts.openTickets = {
          a: { severity: 'low', openedAt: HANDOFF_AT },
          b: { severity: 'high', openedAt: HANDOFF_AT },
          c: { severity: 'urgent', openedAt: HANDOFF_AT },
        }),
      (v) => expect(v.customer).toMatchObject({ openTickets: 3, openHighSeverityTickets: 2 }),
    ],
    [
      "only the definition's key features",
      (s) => (s.facts.keyFeaturesUsed = [DEFAULT_LIFECYCLE.keyFeatures[0]!, 'not-a-key-feature']),
      (v) => expect(v.customer.keyFeaturesUsed).toEqual([DEFAULT_LIFECYCLE.keyFeatures[0]]),
    ],
    [
      'term 1 from the contract start for state carried from before terms',
      (s) => {
        delete s.facts.contractTerm;
        delete s.facts.termStartedAt;
      },
      (v) => expect(v.customer).toMatchObject({ contractTerm: 1, termStartedAt: v.customer.contractStart }),
    ],
    [
      'plays running, and those that ended with their last outcome',
      (s) =>
        (s.plays = {
          nextRun: 3,
          active: [{ runId: 'customer:acme/play/onboarding_kickoff/2', playId: 'onboarding_kickoff', startedAt: NOW, listensFor: [], goalNotified: false }],
          history: { onboarding_kickoff: { starts: [NOW], total: 2, lastOutcome: 'completed' }, nps_detractor: { starts: [], total: 1 } },
          conditions: {},
        }),
      (v) =>
        expect(v.plays).toEqual({
          running: [{ runId: 'customer:acme/play/onboarding_kickoff/2', playId: 'onboarding_kickoff', label: expect.any(String), startedAt: NOW }],
          finished: [{ playId: 'onboarding_kickoff', label: expect.any(String), runs: 2, lastOutcome: 'completed' }],
        }),
    ],
    ['no plays for state carried from before plays', (s) => delete s.plays, (v) => expect(v.plays).toEqual({ running: [], finished: [] })],
  ])('shows %s', (_, change, check, timers = []) => {
    const state = customer();
    change(state);
    check(viewOf(state, timers));
  });

  it('answers while a continued run still loads its definition: ids for labels, no owner', () => {
    const state = customer();
    state.plays!.active.push({ runId: 'r/1', playId: 'onboarding_kickoff', startedAt: NOW, listensFor: [], goalNotified: false });
    const view = ZCustomerView.parse(customerView(state, undefined, NOW, []));
    expect(view.stageOwner).toBeUndefined();
    expect(view.plays.running[0]!.label).toBe('onboarding_kickoff');
  });
});
