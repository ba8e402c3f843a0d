/**
 * Scenario files: days instead of timestamps, the API's own schemas for the customer and the
 * events, and problems reported with the file, the field path and the line.
 */
import { parseScenarioText, type ScenarioFileError } from '../../src/simulate/scenario-file';

const base = `name: a story
customer:
  customerId: acme
  name: Acme
  arr: 120000
  csmOwner: dana@example.com
`;

function problemsOf(text: string, file = 'story.yaml') {
  try {
    parseScenarioText(text, file);
  } catch (error) {
    expect((error as Error).name).toBe('ScenarioFileError');
    return (error as ScenarioFileError).problems;
  }
  throw new Error('expected the scenario to be refused');
}

describe('parsing a scenario', () => {
  it('turns days into instants: day 0 is the start, "at" a time of that day (UTC)', () => {
    const scenario = parseScenarioText(
      `${base}events:
  - { day: 5, type: milestone, milestone: setup_done }
  - { day: 5, at: "14:30", type: survey, survey: nps, score: 9 }
  - { occurredAt: day 7, type: milestone, milestone: training_done }
`,
      'story.yaml',
    );
    expect(scenario.handoff.contractStart).toBe('2026-01-05T09:00:00.000Z');
    expect(scenario.handoff.contractEnd).toBe('2027-01-05T09:00:00.000Z');
    expect(scenario.events.map((e) => [e.event.id, e.event.occurredAt])).toEqual([
      ['milestone:0:day5', '2026-01-10T09:00:00.000Z'],
      ['survey:1:day5', '2026-01-10T14:30:00.000Z'],
      ['milestone:2', '2026-01-12T09:00:00.000Z'],
    ]);
  });

  it('repeats an event every n days from "from" to "to", each with its own id', () => {
    const scenario = parseScenarioText(
      `${base}start: 2030-03-01T08:00:00Z
events:
  - { every: 7, from: 1, to: 22, id: weekly, type: usage, logins: 3 }
`,
      'story.yaml',
    );
    // In the future of the clock: simulated time, so the API's "not a day ahead" bound holds on each day.
    expect(scenario.events.map((e) => [e.event.id, e.event.occurredAt.slice(0, 10)])).toEqual([
      ['weekly:day1', '2030-03-02'],
      ['weekly:day8', '2030-03-09'],
      ['weekly:day15', '2030-03-16'],
      ['weekly:day22', '2030-03-23'],
    ]);
  });

  it('takes "day N" in any date field, in the customer and in events', () => {
    const scenario = parseScenarioText(
      `${base.replace('  csmOwner', '  contractStart: day 2\n  contractEnd: day 200\n  csmOwner')}events:
  - { day: 3, type: contract, action: renewal_date_moved, contractEnd: day 230 }
  - { day: 4, type: usage, logins: 1, lastLoginAt: day 4 at 07:15 }
`,
      'story.yaml',
    );
    expect([scenario.handoff.contractStart, scenario.handoff.contractEnd]).toEqual(['2026-01-07T09:00:00.000Z', '2026-07-24T09:00:00.000Z']);
    expect(scenario.events[0]?.event).toMatchObject({ contractEnd: '2026-08-23T09:00:00.000Z' });
    expect(scenario.events[1]?.event).toMatchObject({ lastLoginAt: '2026-01-09T07:15:00.000Z' });
  });

  it('reads JSON as well, with lines', () => {
    const json = JSON.stringify(
      { name: 'j', customer: { customerId: 'acme', name: 'Acme', arr: 1, csmOwner: 'd@example.com' }, events: [{ day: 1, type: 'usage' }] },
      null,
      2,
    );
    expect(problemsOf(json, 'story.json')).toEqual([{ path: 'events.0.logins', line: 10, message: 'Invalid input: expected number, received undefined' }]);
  });
});

describe('an invalid scenario', () => {
  it('names every problem with its field path and line, at once', () => {
    const problems = problemsOf(`${base.replace('arr: 120000', 'arr: lots')}events:
  - { day: 5, type: milestone, milestone: Setup Done }
  - { day: 6, type: usage, logins: -1 }
  - { day: 7, type: webinar }
  - { type: milestone, milestone: kickoff_held }
expect:
  - { day: 30, stage: adopted }
  - { band: green }
`);
    expect(problems).toEqual([
      { path: 'customer.arr', line: 5, message: 'Invalid input: expected number, received string' },
      { path: 'events.0.milestone', line: 8, message: 'use lower_snake_case' },
      { path: 'events.1.logins', line: 9, message: 'Too small: expected number to be >=0' },
      { path: 'events.2.type', line: 10, message: expect.stringMatching(/^unknown event type "webinar"; one of usage, ticket/) },
      { path: 'events.3', line: 11, message: 'say when: "day", "every" (with "from" and "to") or "occurredAt"' },
      { path: 'expect.0.stage', line: 13, message: expect.stringMatching(/^Invalid option: expected one of "onboarding"/) },
      { path: 'expect.1.band', line: 14, message: 'band holds on a day: give "day"' },
    ]);
  });

  it('names a YAML syntax error with its line', () => {
    expect(problemsOf(`${base}events: []\nname: twice\nuntil: 30\n`)).toEqual([{ path: '(syntax)', line: 8, message: 'Map keys must be unique' }]);
  });

  it('names an unknown field and the file in its message', () => {
    try {
      parseScenarioText(`${base}event: []\n`, 'scenarios/typo.yaml');
      throw new Error('expected a refusal');
    } catch (error) {
      expect((error as Error).message).toBe('scenarios/typo.yaml is not a valid scenario:\n  line 1: (scenario): Unrecognized key: "event"');
    }
  });

  it('refuses an expectation after the end and an event for another customer', () => {
    expect(
      problemsOf(`${base}until: day 10
events:
  - { day: 1, customerId: other, type: usage, logins: 1 }
expect:
  - { day: 11, stage: adoption }
`),
    ).toEqual([
      { path: 'events.0.customerId', line: 9, message: "not the scenario's customer (acme)" },
      { path: 'expect.0.day', line: 11, message: "after the scenario's end (day 10)" },
    ]);
  });
});
