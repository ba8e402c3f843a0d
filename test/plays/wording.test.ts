/**
 * Every text a play run writes, for representative customers: names filled in, missing optional
 * fields worded rather than left blank, and long inputs cut to the bounds (one line for a subject or
 * title, `WORDING_LIMITS.body` for a body) with storable text.
 */
import {
  escalationEmail,
  escalationTask,
  handoffContext,
  handoffTask,
  informedEmail,
  renderPart,
  results,
  stepEmail,
  stepTask,
  templateValues,
  WORDING_LIMITS,
  type PlayCustomerContext,
} from '../../src/plays';

const customer: PlayCustomerContext = {
  customerWorkflowId: 'customer:acme',
  customerId: 'acme',
  name: 'Acme Corp',
  arr: 120000,
  segment: 'mid_market',
  stage: 'adoption',
  csmOwner: 'dana@vendor.example',
  contractEnd: '2027-01-31T00:00:00.000Z',
  timezone: 'Europe/Berlin',
  health: { score: 42, band: 'red', reasons: ['Adoption: logins = 2 (10/100)'] },
  stakeholders: [
    { id: 's1', name: 'Chris Champion', role: 'champion', email: 'chris@acme.example', engaged: true },
    { id: 's2', name: 'Sam Sponsor', role: 'executive_sponsor', engaged: false },
  ],
  milestones: ['kickoff_held'],
  successCriteria: ['cut ticket time by 30%'],
  goals: ['one tool for support'],
  objections: [],
  competitors: ['Globex'],
  definitionVersion: 'v1',
};

/** A customer with nothing optional: no health yet, no stakeholders, empty lists. */
const bare: PlayCustomerContext = {
  ...customer,
  name: 'Initech',
  health: null,
  stakeholders: [],
  milestones: [],
  successCriteria: [],
  goals: [],
  objections: [],
  competitors: [],
};

const play = { label: 'Red account', goal: 'back to yellow within 30 days', owner: { responsible: 'csm' as const, informed: [] } };
const why = 'health band yellow -> red';
const long = 'x'.repeat(50_000);
const charsOf = (text: string) => Array.from(text).length;

describe('a play step filled in for the customer', () => {
  it.each([
    {
      name: 'names and the recipient',
      step: { subject: 'Hello {{recipient.name}} at {{customer.name}}', body: 'Your CSM {{csm}}; champion {{champion.name}}, sponsor {{sponsor.name}}.' },
      ctx: customer,
      recipient: 'Chris Champion',
      subject: 'Hello Chris Champion at Acme Corp',
      text: 'Your CSM dana@vendor.example; champion Chris Champion, sponsor Sam Sponsor.',
    },
    {
      name: 'health, lists and the renewal date',
      step: {
        subject: '{{customer.name}}: {{health.band}} ({{health.score}})',
        body: 'Renews {{customer.renewalDate}}; goals {{customer.goals}}; objections {{customer.objections}}; ARR {{customer.arr}}.',
      },
      ctx: customer,
      recipient: '',
      subject: 'Acme Corp: red (42)',
      text: 'Renews 2027-01-31; goals one tool for support; objections —; ARR 120,000.',
    },
    {
      name: 'no health yet and no stakeholders',
      step: {
        subject: '{{customer.name}}: {{health.band}}',
        body: 'Score {{health.score}}; reasons {{health.reasons}}; people {{customer.stakeholders}}; champion "{{champion.name}}".',
      },
      ctx: bare,
      recipient: '',
      subject: 'Initech: no data yet',
      text: 'Score no data yet; reasons —; people —; champion "".',
    },
    {
      name: 'the trigger and the play',
      step: { subject: '{{play.label}}', body: '{{play.goal}} because {{ trigger }}' },
      ctx: customer,
      recipient: '',
      subject: 'Red account',
      text: 'back to yellow within 30 days because health band yellow -> red',
    },
  ])('an email: $name', ({ step, ctx, recipient, subject, text }) => {
    expect(stepEmail(step, templateValues(ctx, play, why, recipient))).toEqual({ subject, text });
  });

  it.each([
    {
      name: 'with a detail',
      step: { title: 'Call {{customer.name}}', detail: 'Stakeholders: {{customer.stakeholders}}' },
      title: 'Call Acme Corp',
      detail: 'Stakeholders: Chris Champion (champion), Sam Sponsor (executive_sponsor, not engaged)',
    },
    { name: 'without a detail', step: { title: 'Call {{customer.name}}' }, title: 'Call Acme Corp', detail: '' },
  ])('a task: $name', ({ step, title, detail }) => {
    expect(stepTask(step, templateValues(customer, play, why))).toEqual({ title, detail });
  });

  it('bounds a subject and title to a line and a body to the body limit', () => {
    const values = templateValues({ ...customer, name: long }, play, why);
    const email = stepEmail({ subject: '{{customer.name}}', body: '{{customer.name}} {{customer.name}}' }, values);
    const task = stepTask({ title: '{{customer.name}}', detail: '{{customer.name}}' }, values);
    expect([charsOf(email.subject), charsOf(email.text), charsOf(task.title), charsOf(task.detail)]).toEqual([
      WORDING_LIMITS.line,
      WORDING_LIMITS.body,
      WORDING_LIMITS.line,
      WORDING_LIMITS.body,
    ]);
    expect(email.subject.endsWith('…')).toBe(true);
    expect(charsOf(renderPart('{{customer.name}}', values))).toBe(WORDING_LIMITS.body);
  });
});

describe("the engine's own emails and tasks", () => {
  it.each([
    {
      name: 'steps that ran',
      steps: [
        { stepId: 'review', result: 'task t-1 for csm' },
        { stepId: 'goal', result: 'goal reached' },
      ],
      outcome: 'succeeded',
      subject: '[succeeded] Red account: Acme Corp',
      text: 'For your information (sales). Red account for Acme Corp ended: succeeded.\nWhy it fired: health band yellow -> red\nResponsible: csm\n\n- review: task t-1 for csm\n- goal: goal reached',
    },
    {
      name: 'no steps recorded',
      steps: [],
      outcome: 'failed',
      subject: '[failed] Red account: Acme Corp',
      text: 'For your information (sales). Red account for Acme Corp ended: failed.\nWhy it fired: health band yellow -> red\nResponsible: csm\n\n',
    },
  ])('the summary to an informed role: $name', ({ steps, outcome, subject, text }) => {
    expect(informedEmail({ play, customerName: 'Acme Corp', why, role: 'sales', outcome, steps })).toEqual({ subject, text });
  });

  it('bounds the summary of a run with many long step results', () => {
    const steps = Array.from({ length: 200 }, (_, i) => ({ stepId: `step_${i}`, result: 'y'.repeat(500) }));
    const email = informedEmail({ play: { ...play, label: long }, customerName: 'Acme Corp', why, role: 'sales', outcome: 'escalated', steps });
    expect([charsOf(email.subject), charsOf(email.text)]).toEqual([WORDING_LIMITS.line, WORDING_LIMITS.body]);
  });

  it.each([
    {
      name: 'a customer with context',
      ctx: customer,
      title: 'Handoff to sales: Acme Corp',
      detail:
        'Expansion looks ready\n\nSuccess criteria: cut ticket time by 30%\nGoals: one tool for support\nObjections: —\nCompetitors: Globex\n' +
        'Stakeholders: Chris Champion (champion, engaged); Sam Sponsor (executive_sponsor)\nMilestones reached: kickoff_held',
    },
    {
      name: 'a customer with empty lists',
      ctx: bare,
      title: 'Handoff to sales: Initech',
      detail: 'Expansion looks ready\n\nSuccess criteria: —\nGoals: —\nObjections: —\nCompetitors: —\nStakeholders: —\nMilestones reached: —',
    },
  ])('the handoff task: $name', ({ ctx, title, detail }) => {
    expect(handoffTask({ to: 'sales', customerName: ctx.name, context: handoffContext(ctx, 'Expansion looks ready') })).toEqual({ title, detail });
  });

  it('the handoff context carries the lists, health, ARR and renewal date as data', () => {
    expect(handoffContext(customer, 'note')).toEqual({
      note: 'note',
      successCriteria: customer.successCriteria,
      goals: customer.goals,
      objections: [],
      competitors: ['Globex'],
      stakeholders: customer.stakeholders,
      milestones: ['kickoff_held'],
      health: customer.health,
      arr: 120000,
      renewalDate: customer.contractEnd,
    });
  });

  it('bounds a handoff task for a customer with full, long lists', () => {
    const full = { ...customer, goals: Array.from({ length: 50 }, () => 'g'.repeat(500)), successCriteria: Array.from({ length: 50 }, () => 's'.repeat(500)) };
    const task = handoffTask({ to: 'support', customerName: long, context: handoffContext(full, 'note') });
    expect([charsOf(task.title), charsOf(task.detail)]).toEqual([WORDING_LIMITS.line, WORDING_LIMITS.body]);
  });

  it.each([
    {
      name: 'a scored customer',
      ctx: customer,
      task: {
        title: 'Escalation: Red account for Acme Corp',
        detail: 'goal not reached within 30 days\n\nWhy the play fired: health band yellow -> red\nCSM: dana@vendor.example\nHealth: 42 (red)',
      },
      email: {
        subject: '[Escalation] Red account: Acme Corp',
        text: 'goal not reached within 30 days\n\nPlay: Red account (back to yellow within 30 days)\nWhy it fired: health band yellow -> red\nCSM: dana@vendor.example\nTask: t-9',
      },
    },
    {
      name: 'no health yet',
      ctx: bare,
      task: {
        title: 'Escalation: Red account for Initech',
        detail: 'goal not reached within 30 days\n\nWhy the play fired: health band yellow -> red\nCSM: dana@vendor.example\nHealth: — (no data)',
      },
      email: {
        subject: '[Escalation] Red account: Initech',
        text: 'goal not reached within 30 days\n\nPlay: Red account (back to yellow within 30 days)\nWhy it fired: health band yellow -> red\nCSM: dana@vendor.example\nTask: t-9',
      },
    },
    {
      name: 'a score without a band',
      ctx: { ...customer, health: { score: null, band: null, reasons: [] } },
      task: {
        title: 'Escalation: Red account for Acme Corp',
        detail: 'goal not reached within 30 days\n\nWhy the play fired: health band yellow -> red\nCSM: dana@vendor.example\nHealth: — (no data)',
      },
      email: {
        subject: '[Escalation] Red account: Acme Corp',
        text: 'goal not reached within 30 days\n\nPlay: Red account (back to yellow within 30 days)\nWhy it fired: health band yellow -> red\nCSM: dana@vendor.example\nTask: t-9',
      },
    },
  ])('the escalation task and email: $name', ({ ctx, task, email }) => {
    const input = { play, customer: ctx, why, reason: 'goal not reached within 30 days' };
    expect(escalationTask(input)).toEqual(task);
    expect(escalationEmail({ ...input, taskId: 't-9' })).toEqual(email);
  });

  it('bounds an escalation with a long reason and play label', () => {
    const input = { play: { ...play, label: long }, customer, why, reason: long };
    const task = escalationTask(input);
    const email = escalationEmail({ ...input, taskId: 't-9' });
    expect([charsOf(task.title), charsOf(task.detail), charsOf(email.subject), charsOf(email.text)]).toEqual([
      WORDING_LIMITS.line,
      WORDING_LIMITS.body,
      WORDING_LIMITS.line,
      WORDING_LIMITS.body,
    ]);
  });

  it('escapes what cannot be stored (a NUL) instead of passing it on', () => {
    expect(escalationTask({ play, customer: { ...customer, name: 'A\u0000B' }, why, reason: 'r' }).title).toBe('Escalation: Red account for A\\u0000B');
  });
});

describe('what each step did, in a line', () => {
  it.each([
    [results.skippedGoalMet, 'skipped: goal already met'],
    [results.waitArrived, 'arrived'],
    [results.waitTimedOut(7), 'timed out after 7 days'],
    [results.goalReached, 'goal reached'],
    [results.goalNotReached(30), 'goal not reached within 30 days'],
    [results.noAddress('champion'), 'skipped: no address for champion'],
    [results.email('csm', 'sent'), 'email to csm sent'],
    [results.email('csm', 'already sent'), 'email to csm already sent'],
    [results.emailFailed('champion', '550 no such user'), 'email to champion failed permanently: 550 no such user'],
    [results.webhook('crm', false), 'webhook crm delivered'],
    [results.webhook('crm', true), 'webhook crm not configured: skipped'],
    [results.webhookRejected('crm', '400 bad request'), 'webhook crm rejected: 400 bad request'],
    [results.task('t-1', 'csm'), 'task t-1 for csm'],
    [results.handoff('t-2', 'sales', results.noSystem), 'task t-2 for sales; no system to notify'],
    [results.escalated('t-3', 'email to csm_manager sent'), "task t-3 for the CSM's manager; email to csm_manager sent"],
  ])('%s', (actual, expected) => {
    expect(actual).toBe(expected);
  });
});
