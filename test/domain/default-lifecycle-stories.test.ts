/**
 * Stories about the default definition, driven through the pure lifecycle steps in the workflow's
 * order (see `lifecycle-story.ts`): what the issue "the default lifecycle held to the seeds" asked
 * for, one customer's life each — risk the score hides, a model switch that is not a health change,
 * engagement as evidence, and no verdict before there is data.
 */
import { healthReasons } from '../../src/plays/customer-context';
import { ev, pureStory, storyHandoff, dayAt } from './lifecycle-story';

const champ = { id: 'champ', name: 'Priya', role: 'champion' } as const;
const sponsor = { id: 'sponsor', name: 'Tom', role: 'executive_sponsor' } as const;
const started = (story: ReturnType<typeof pureStory>) => story.starts.map((s) => s.play.id);

/** Through onboarding and adoption into retention with healthy usage every other day up to `lastDay`. */
function healthyLife(story: ReturnType<typeof pureStory>, lastDay: number, extra: Record<number, Parameters<typeof story.at>[1][]> = {}) {
  const special: Record<number, Parameters<typeof story.at>[1][]> = {
    2: [
      ev.milestone(2, 'kickoff_held'),
      ev.milestone(2, 'setup_done'),
      ev.milestone(2, 'training_done'),
      ev.stakeholder(2, 'engaged', champ),
      ev.stakeholder(2, 'engaged', sponsor),
    ],
    20: [ev.milestone(20, 'first_value')],
    45: [ev.milestone(45, 'core_training_done'), ev.survey(45, 'nps', 9), ev.survey(45, 'csat', 5)],
    ...extra,
  };
  for (let d = 1; d <= lastDay; d += 1) story.at(d, ...(d % 2 === 0 ? [ev.usage(d, { logins: 10 })] : []), ...(special[d] ?? []));
}

describe('risk the score hides: hard conditions', () => {
  // Item 1: champion leaves on day 101, NPS 3 on day 104, three high/urgent tickets on days 100-112,
  // renewal on day 180. Healthy usage alone held this account yellow, and nothing said "renewal at risk".
  const story = () => {
    const s = pureStory(storyHandoff({ contractEnd: dayAt(180) }));
    healthyLife(s, 99);
    return s;
  };

  it('is green in retention before the trouble starts', () => {
    const s = story();
    expect(s.state).toMatchObject({ stage: 'retention', health: { band: 'green', conditions: [] } });
  });

  it('turns red with the reason named, and starts renewal-at-risk and the red-account play', () => {
    const s = story();
    const before = started(s).length;
    healthyLife(s, 112, {
      100: [ev.ticket(100, 'T1', 'high')],
      101: [ev.stakeholder(101, 'left', champ)],
      104: [ev.survey(104, 'nps', 3)],
      108: [ev.ticket(108, 'T2', 'urgent')],
      112: [ev.ticket(112, 'T3', 'high')],
    });
    expect(s.state.health?.band).toBe('red');
    expect(s.state.health?.conditions?.map((c) => c.id)).toEqual(['champion_lost_with_risk', 'champion_lost']);
    expect(s.state.health?.conditions?.[0]?.label).toBe('champion left 11 days ago, with NPS 3 and 3 high/urgent tickets in 60 days');
    expect(healthReasons(s.state.health)[0]).toMatch(/^champion left 11 days ago.*\(caps health at red\)$/);
    const since = started(s).slice(before);
    expect(since).toEqual(expect.arrayContaining(['renewal_at_risk', 'red_account']));
    const risk = s.starts.find((start) => start.play.id === 'renewal_at_risk');
    expect(risk?.why).toBe('condition met: red, or yellow with a hard condition, inside the 90-day renewal window');
    expect(risk?.customer.health?.reasons[0]).toMatch(/^champion left/);
    // The timeline names the condition where the score changed.
    expect(s.timeline.some((e) => e.kind === 'health' && /champion left \d+ days ago/.test(e.summary))).toBe(true);
  });

  it('starts renewal-at-risk on yellow with a hard condition inside the window: a lost champion alone', () => {
    const s = story();
    healthyLife(s, 103, { 101: [ev.stakeholder(101, 'left', champ)] });
    expect(s.state.health).toMatchObject({ band: 'yellow', conditions: [{ id: 'champion_lost', cap: 'yellow' }] });
    expect(started(s)).toContain('renewal_at_risk');
    expect(started(s)).not.toContain('red_account');
  });

  it('lifts the cap once a new champion is named', () => {
    const s = story();
    healthyLife(s, 106, { 101: [ev.stakeholder(101, 'left', champ)], 103: [ev.stakeholder(103, 'added', { id: 'new', name: 'Ines', role: 'champion' })] });
    expect(s.state.health?.conditions).toEqual([]);
  });
});

describe('a model switch is not a health change', () => {
  // Item 6: on first value the customer moves from the onboarding model to the default one; its
  // score drops under the new yardstick, which fired the yellow-account play.
  const life = (legacy = {}) => {
    const s = pureStory(storyHandoff(), undefined, legacy);
    const u = (d: number) => ev.usage(d, { logins: 10, seatsUsed: 35, keyFeaturesUsed: ['dashboards', 'reports', 'alerts'] });
    s.at(2, u(2), ev.milestone(2, 'kickoff_held'), ev.milestone(2, 'setup_done'), ev.stakeholder(2, 'engaged', champ), ev.stakeholder(2, 'engaged', sponsor));
    s.at(9, u(9), ev.milestone(9, 'training_done'));
    s.at(16, u(16));
    s.at(23, u(23), ev.milestone(23, 'first_value'));
    s.at(25);
    return s;
  };

  it('records the switch with both scores and fires no band play', () => {
    const s = life();
    expect(s.state).toMatchObject({ stage: 'adoption', health: { model: 'default', band: 'yellow' } });
    const entry = s.timeline.find((e) => e.detail?.modelSwitch === true);
    expect(entry).toMatchObject({ kind: 'health', detail: { fromModel: 'onboarding', model: 'default', fromScore: 100, band: 'yellow' } });
    expect(entry?.summary).toMatch(/^health model onboarding -> default: 100 \(green\) under onboarding, [\d.]+ \(yellow\) under default/);
    expect(started(s)).not.toContain('yellow_account');
  });

  it('still fires it under the rules histories recorded before ran with (they replay unchanged)', () => {
    expect(started(life({ modelSwitchIsBandChange: true }))).toContain('yellow_account');
  });
});

describe('engagement is evidence', () => {
  // Item 7: stakeholders named in the sales handoff counted as engaged, so expansion's "at least 2
  // stakeholders engaged" held before CS had met anyone.
  const toExpansion = () => {
    const s = pureStory(storyHandoff());
    healthyLife(s, 140, {
      2: [ev.milestone(2, 'kickoff_held'), ev.milestone(2, 'setup_done'), ev.milestone(2, 'training_done')],
      100: [ev.milestone(100, 'value_review'), ev.milestone(100, 'renewal_conversation_started')],
      120: [ev.milestone(120, 'roi_documented'), ev.milestone(120, 'business_case')],
    });
    return s;
  };

  it('holds a customer in expansion while the named stakeholders are not engaged', () => {
    const s = toExpansion();
    expect(s.state.stage).toBe('expansion');
    expect(s.state.exit.required.find((a) => a.id === 'stakeholders_engaged')?.met).toBe(false);
    expect(started(s)).not.toContain('expansion_ready');
  });

  it('counts them once engagement events arrive', () => {
    const s = toExpansion();
    s.at(141, ev.stakeholder(141, 'engaged', champ), ev.stakeholder(141, 'engaged', sponsor));
    expect(started(s)).toContain('expansion_ready');
    expect(s.state.stage).toBe('advocacy');
  });
});

describe('not enough data yet', () => {
  // Item 8: a small new customer turned red on its first login and got the urgent red-account play.
  const small = () =>
    pureStory(storyHandoff({ arr: 8_000, seatsPurchased: 10, stakeholders: [{ id: 'champ', name: 'Priya', role: 'champion', email: 'priya@example.com' }] }));
  const firstLogin = (day: number) => ev.usage(day, { logins: 2, activeUsers: 1, seatsUsed: 1, seatsPurchased: 10, keyFeaturesUsed: ['dashboards'] });

  it('shows insufficient_data from the handoff and after a first login, with no band play', () => {
    const s = small();
    expect(s.state.health?.band).toBe('insufficient_data');
    s.at(1, firstLogin(1));
    s.at(3);
    expect(s.state.health).toMatchObject({ band: 'insufficient_data', knownWeight: expect.any(Number) });
    expect(s.state.health!.knownWeight!).toBeLessThan(0.65);
    expect(started(s)).not.toEqual(expect.arrayContaining(['red_account']));
    expect(s.timeline.some((e) => e.kind === 'health' && e.summary.includes('(insufficient data)'))).toBe(true);
  });

  it('gives a verdict once CS records engagement, and a red one fires the red-account play', () => {
    const s = small();
    s.at(1, firstLogin(1));
    s.at(4, ev.stakeholder(4, 'disengaged', { id: 'champ', name: 'Priya', role: 'champion' }));
    expect(s.state.health?.band).toBe('red');
    expect(started(s)).toContain('red_account');
  });
});
