import type { z } from 'zod';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import { ZLifecycleDefinition } from '../../src/domain/lifecycle-definition';
import { ZPlay } from '../../src/plays/definition';

type PlayInput = z.input<typeof ZPlay>;

const valid: PlayInput = {
  id: 'red_account',
  label: 'Red account',
  goal: 'back to yellow',
  owner: { responsible: 'csm' },
  trigger: { on: 'band_changed', to: ['red'] },
  steps: [{ id: 'review', kind: 'task', assignee: 'csm', title: 'Risk review for {{customer.name}}', dueInDays: 3 }],
};

/** The definition with one extra play; returns each issue as "path: message". */
function problems(play: unknown, extra: Record<string, unknown> = {}): string[] {
  const result = ZLifecycleDefinition.safeParse({ ...DEFAULT_LIFECYCLE, plays: [play], ...extra });
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('play definitions', () => {
  it('accepts every built-in play and a minimal one', () => {
    expect(DEFAULT_LIFECYCLE.plays.length).toBeGreaterThanOrEqual(15);
    expect(problems(valid)).toEqual([]);
  });

  it.each<[string, unknown, RegExp]>([
    [
      'an unknown placeholder',
      { ...valid, steps: [{ ...valid.steps[0], title: 'Hi {{customer.nam}}' }] },
      /^plays\.0\.steps\.0\.title: unknown placeholder \{\{customer\.nam\}\}/,
    ],
    ['an unknown recipient', { ...valid, steps: [{ id: 'mail', kind: 'email', to: 'ceo', subject: 's', body: 'b' }] }, /^plays\.0\.steps\.0\.to: /],
    ['an unknown step kind', { ...valid, steps: [{ id: 'sms', kind: 'sms' }] }, /^plays\.0\.steps\.0\.kind: /],
    ['duplicate step ids', { ...valid, steps: [valid.steps[0], valid.steps[0]] }, /^plays\.0\.steps\.1\.id: duplicate step id "review"/],
    [
      'a wait inside the escalation',
      { ...valid, escalation: [{ id: 'w', kind: 'wait', for: { milestone: 'x' }, withinDays: 1 }] },
      /^plays\.0\.escalation\.0\.kind: an escalation cannot wait/,
    ],
    [
      'a renewal rung that does not exist',
      { ...valid, trigger: { on: 'timer', timer: 'renewal', step: 't_minus_45' } },
      /^plays\.0\.trigger\.step: unknown renewal ladder step "t_minus_45"/,
    ],
    [
      'a step on a non-renewal timer',
      { ...valid, trigger: { on: 'timer', timer: 'qbr', step: 'signature' } },
      /^plays\.0\.trigger\.step: step applies to renewal timers only/,
    ],
    ['an unknown trigger', { ...valid, trigger: { on: 'moon_phase' } }, /^plays\.0\.trigger/],
    // No verdict is not a health change: band plays fire between scored bands only.
    ['a band change into insufficient_data', { ...valid, trigger: { on: 'band_changed', to: ['insufficient_data'] } }, /^plays\.0\.trigger/],
    ['an `any` with one trigger', { ...valid, trigger: { on: 'any', of: [{ on: 'handoff' }] } }, /^plays\.0\.trigger/],
    ['a negative cooldown', { ...valid, caps: { cooldownDays: -1 } }, /^plays\.0\.caps\.cooldownDays: /],
    ['a non-snake id', { ...valid, id: 'Red Account' }, /^plays\.0\.id: use lower_snake_case/],
    [
      'an unknown metric in a condition',
      { ...valid, trigger: { on: 'condition', when: { kind: 'metric', metric: 'mood', op: '>', value: 1 } } },
      /^plays\.0\.trigger/,
    ],
  ])('rejects %s with its path', (_, play, expected) => {
    expect(problems(play)).toContainEqual(expect.stringMatching(expected));
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['plays without play settings', { playSettings: undefined }, /^playSettings: playSettings \(routing, quiet hours\) is required/],
    [
      'an unknown time zone',
      { playSettings: { ...DEFAULT_LIFECYCLE.playSettings, defaultTimezone: 'Mars/Olympus' } },
      /^playSettings\.defaultTimezone: unknown time zone "Mars\/Olympus"/,
    ],
    [
      'quiet hours that start and end together',
      { playSettings: { ...DEFAULT_LIFECYCLE.playSettings, quietHours: { fromHour: 8, toHour: 8 } } },
      /^playSettings\.quietHours\.toHour: fromHour and toHour must differ/,
    ],
    [
      'a routing address that is not one',
      { playSettings: { ...DEFAULT_LIFECYCLE.playSettings, routing: { ...DEFAULT_LIFECYCLE.playSettings!.routing, sales: 'sales team' } } },
      /^playSettings\.routing\.sales: /,
    ],
  ])('rejects %s', (_, extra, expected) => {
    expect(problems(valid, extra)).toContainEqual(expect.stringMatching(expected));
  });

  it('rejects two plays with the same id', () => {
    const result = ZLifecycleDefinition.safeParse({ ...DEFAULT_LIFECYCLE, plays: [valid, valid] });
    expect(result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toContainEqual('plays.1.id: duplicate play id "red_account"');
  });
});
