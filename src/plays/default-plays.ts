/**
 * The built-in plays, from the project's customer-success reference: onboarding kickoff and
 * stall, low adoption, champion change, support spike and risky tickets, the renewal ladder, renewal
 * at risk, expansion ready, QBR preparation, the NPS detractor loop, the advocacy ask, and the green,
 * yellow and red account playbooks. Every number is a value here, not a constant in code: ops copy
 * this list into their own definition and change it in a pull request.
 */
import type { z } from 'zod';
import type { ZPlay, ZPlaySettings } from './definition';

type PlayInput = z.input<typeof ZPlay>;

const ACTIVE_STAGES = ['adoption', 'retention', 'expansion', 'advocacy'] as const;

export const DEFAULT_PLAY_SETTINGS: z.input<typeof ZPlaySettings> = {
  routing: {
    csmManager: 'cs-managers@example.com',
    sales: 'sales@example.com',
    support: 'support-leads@example.com',
    marketing: 'customer-marketing@example.com',
  },
  // Customer-facing email waits for 08:00 on a weekday, in the customer's time zone.
  quietHours: { fromHour: 19, toHour: 8, weekends: true },
  defaultTimezone: 'UTC',
};

export const DEFAULT_PLAYS: PlayInput[] = [
  {
    id: 'onboarding_kickoff',
    label: 'Onboarding kickoff',
    goal: 'Kickoff held in week 1 with the success criteria agreed in the sale',
    owner: { responsible: 'csm', informed: ['sales'] },
    trigger: { on: 'handoff' },
    steps: [
      {
        id: 'brief_csm',
        kind: 'email',
        to: 'csm',
        subject: 'New customer: {{customer.name}} — kickoff this week',
        body:
          'Sales handed {{customer.name}} (ARR {{customer.arr}}, {{customer.segment}}) to you.\n\n' +
          'Success criteria: {{customer.successCriteria}}\nGoals: {{customer.goals}}\nStakeholders: {{customer.stakeholders}}\n' +
          'Objections raised in the sale: {{customer.objections}}\nCompetitors considered: {{customer.competitors}}\n\n' +
          'Hold the kickoff within 7 days and record the milestone kickoff_held.',
      },
      {
        id: 'kickoff_task',
        kind: 'task',
        assignee: 'csm',
        title: 'Hold the kickoff with {{customer.name}}',
        detail: 'Success criteria: {{customer.successCriteria}}',
        dueInDays: 7,
        priority: 'high',
      },
      {
        id: 'welcome_champion',
        kind: 'email',
        to: 'champion',
        subject: 'Welcome to {{customer.name}}’s onboarding',
        body: 'Hi {{recipient.name}},\n\nwelcome aboard. {{csm}} is your customer success manager and will set up a kickoff this week to agree how we reach: {{customer.successCriteria}}.',
      },
      { id: 'kickoff_held', kind: 'wait', for: { milestone: 'kickoff_held' }, withinDays: 7, onTimeout: 'escalate' },
    ],
    caps: { maxTotal: 1 },
  },
  {
    id: 'onboarding_stall',
    label: 'Onboarding stall',
    goal: 'Get a stalled onboarding to first value',
    owner: { responsible: 'csm', informed: ['csm_manager'] },
    trigger: {
      on: 'any',
      of: [
        { on: 'timer', timer: 'time_to_value' },
        {
          on: 'condition',
          when: {
            kind: 'all',
            label: 'no login since day 3',
            of: [
              { kind: 'metric', metric: 'daysSinceStart', op: '>=', value: 3 },
              {
                kind: 'any',
                of: [
                  { kind: 'metric', metric: 'hasLoggedIn', op: '==', value: 0 },
                  { kind: 'metric', metric: 'daysSinceLastLogin', op: '>=', value: 3 },
                ],
              },
            ],
          },
        },
      ],
    },
    stages: ['onboarding'],
    steps: [
      {
        id: 'stall_task',
        kind: 'task',
        assignee: 'csm',
        title: 'Onboarding stalled at {{customer.name}}: {{trigger}}',
        detail: 'Health: {{health.score}} ({{health.band}}). Weakest inputs: {{health.reasons}}',
        dueInDays: 2,
        priority: 'high',
      },
      {
        id: 'stall_email_csm',
        kind: 'email',
        to: 'csm',
        subject: 'Onboarding stalled: {{customer.name}}',
        body: '{{customer.name}} is stalled in onboarding ({{trigger}}). Weakest inputs: {{health.reasons}}.',
      },
      {
        id: 'nudge_champion',
        kind: 'email',
        to: 'champion',
        subject: 'Can we help you get started?',
        body: 'Hi {{recipient.name}},\n\nyour team has not been active in the product lately. {{csm}} can walk you through the first steps towards: {{customer.goals}}.',
      },
    ],
    success: { when: { kind: 'milestone', milestone: 'first_value' }, withinDays: 21 },
    caps: { cooldownDays: 14 },
  },
  {
    id: 'low_adoption',
    label: 'Low adoption',
    goal: 'Bring usage back after inactivity or a falling login trend',
    owner: { responsible: 'csm', informed: [] },
    trigger: {
      on: 'any',
      of: [
        { on: 'timer', timer: 'inactivity' },
        { on: 'condition', when: { kind: 'metric', metric: 'loginTrend', op: '<=', value: -0.4, label: 'logins down 40% month over month' } },
      ],
    },
    stages: [...ACTIVE_STAGES],
    steps: [
      {
        id: 'adoption_task',
        kind: 'task',
        assignee: 'csm',
        title: 'Re-engage {{customer.name}}: {{trigger}}',
        detail: 'Weakest inputs: {{health.reasons}}',
        dueInDays: 5,
        priority: 'medium',
      },
      {
        id: 'adoption_tips',
        kind: 'email',
        to: 'champion',
        subject: 'Three things teams like yours get out of the product',
        body: 'Hi {{recipient.name}},\n\nwe noticed your team has been less active. {{csm}} would be glad to help your goals: {{customer.goals}}.',
      },
    ],
    success: { when: { kind: 'metric', metric: 'daysSinceLastLogin', op: '<=', value: 7, label: 'logged in within a week' }, withinDays: 21 },
    caps: { cooldownDays: 30 },
  },
  {
    id: 'champion_change',
    label: 'Champion change',
    goal: 'A new champion is identified and engaged',
    owner: { responsible: 'csm', informed: ['csm_manager'] },
    trigger: { on: 'event', event: 'stakeholder', match: { 'stakeholder.role': 'champion', action: ['left', 'added', 'role_changed'] } },
    steps: [
      {
        id: 'champion_task',
        kind: 'task',
        assignee: 'csm',
        title: 'Champion change at {{customer.name}}: {{trigger}}',
        detail: 'Re-map the stakeholders: {{customer.stakeholders}}',
        dueInDays: 3,
        priority: 'urgent',
      },
      {
        id: 'champion_email_csm',
        kind: 'email',
        to: 'csm',
        subject: 'Champion change: {{customer.name}}',
        body: '{{trigger}}. Stakeholders now: {{customer.stakeholders}}.',
      },
    ],
    success: { when: { kind: 'stakeholders', role: 'champion', engaged: true, min: 1 }, withinDays: 30 },
  },
  {
    id: 'support_spike',
    label: 'Support spike',
    goal: 'Support and CS resolve a run of severe tickets together',
    owner: { responsible: 'csm', informed: ['support'] },
    trigger: {
      on: 'condition',
      when: { kind: 'metric', metric: 'highSeverityTickets60d', op: '>=', value: 3, label: 'more than 2 high-severity tickets in 60 days' },
    },
    steps: [
      {
        id: 'to_support',
        kind: 'handoff',
        to: 'support',
        target: 'support_desk',
        note: '{{customer.name}}: {{trigger}}. Please review the open tickets with the CSM ({{csm}}).',
      },
      { id: 'spike_task', kind: 'task', assignee: 'csm', title: 'Review the ticket spike at {{customer.name}} with support', dueInDays: 3, priority: 'high' },
    ],
    caps: { cooldownDays: 30 },
  },
  {
    id: 'risky_ticket',
    label: 'Risky ticket',
    goal: 'An urgent ticket gets support leadership and the CSM at once',
    owner: { responsible: 'support', informed: ['csm'] },
    trigger: { on: 'event', event: 'ticket', match: { action: 'opened', severity: 'urgent' } },
    steps: [
      {
        id: 'to_support',
        kind: 'handoff',
        to: 'support',
        target: 'support_desk',
        note: 'Urgent ticket at {{customer.name}} (ARR {{customer.arr}}, health {{health.band}}): {{trigger}}.',
      },
      {
        id: 'tell_csm',
        kind: 'email',
        to: 'csm',
        subject: 'Urgent ticket: {{customer.name}}',
        body: '{{trigger}}. Support has a handoff with the customer context.',
      },
    ],
  },
  {
    id: 'renewal_value_review',
    label: 'Renewal T-120: value review',
    goal: 'Value review held before the renewal conversation',
    owner: { responsible: 'csm', informed: ['sales'] },
    trigger: { on: 'timer', timer: 'renewal', step: 'value_review' },
    steps: [
      {
        id: 'value_review_task',
        kind: 'task',
        assignee: 'csm',
        title: 'Value review with {{customer.name}} (renewal {{customer.renewalDate}})',
        detail: 'Goals: {{customer.goals}}',
        dueInDays: 21,
        priority: 'medium',
      },
    ],
    success: { when: { kind: 'milestone', milestone: 'value_review' }, withinDays: 30 },
  },
  {
    id: 'renewal_conversation',
    label: 'Renewal T-90: conversation',
    goal: 'Renewal conversation started 90 days before the contract end',
    owner: { responsible: 'csm', informed: ['sales'] },
    trigger: { on: 'timer', timer: 'renewal', step: 'renewal_conversation' },
    steps: [
      {
        id: 'renewal_task',
        kind: 'task',
        assignee: 'csm',
        title: 'Start the renewal conversation with {{customer.name}}',
        detail: 'Renewal {{customer.renewalDate}}, ARR {{customer.arr}}, health {{health.score}} ({{health.band}})',
        dueInDays: 7,
        priority: 'high',
      },
      {
        id: 'renewal_email_csm',
        kind: 'email',
        to: 'csm',
        subject: 'Renewal in 90 days: {{customer.name}}',
        body: 'Renewal on {{customer.renewalDate}}. Health {{health.score}} ({{health.band}}); weakest inputs: {{health.reasons}}.',
      },
    ],
    success: { when: { kind: 'milestone', milestone: 'renewal_conversation_started' }, withinDays: 14 },
  },
  {
    id: 'renewal_negotiation',
    label: 'Renewal T-60: negotiation',
    goal: 'Commercial terms agreed with sales',
    owner: { responsible: 'sales', informed: ['csm'] },
    trigger: { on: 'timer', timer: 'renewal', step: 'negotiation' },
    steps: [
      {
        id: 'negotiation_task',
        kind: 'task',
        assignee: 'sales',
        title: 'Renewal negotiation: {{customer.name}} ({{customer.renewalDate}})',
        detail: 'CSM {{csm}}; health {{health.band}}',
        dueInDays: 21,
        priority: 'high',
      },
    ],
  },
  {
    id: 'renewal_signature',
    label: 'Renewal T-30: signature',
    goal: 'Renewal signed before the contract end',
    owner: { responsible: 'sales', informed: ['csm', 'csm_manager'] },
    trigger: { on: 'timer', timer: 'renewal', step: 'signature' },
    steps: [
      {
        id: 'signature_task',
        kind: 'task',
        assignee: 'sales',
        title: 'Get the renewal signed: {{customer.name}} ({{customer.renewalDate}})',
        dueInDays: 21,
        priority: 'urgent',
      },
      {
        id: 'signature_email',
        kind: 'email',
        to: 'sales',
        subject: 'Renewal signature due: {{customer.name}}',
        body: 'Contract ends {{customer.renewalDate}} (ARR {{customer.arr}}).',
      },
    ],
  },
  {
    id: 'renewal_lapsed',
    label: 'Renewal lapsed (T+1)',
    goal: 'A lapsed contract is renewed or its churn recorded',
    owner: { responsible: 'csm_manager', informed: ['sales', 'csm'] },
    trigger: { on: 'timer', timer: 'renewal', step: 'lapsed' },
    steps: [{ id: 'lapsed', kind: 'escalate', reason: 'The contract of {{customer.name}} ended on {{customer.renewalDate}} without a recorded renewal.' }],
  },
  {
    id: 'renewal_at_risk',
    label: 'Renewal at risk',
    goal: 'An account at risk inside the renewal window gets a save plan',
    owner: { responsible: 'csm', informed: ['csm_manager', 'sales'] },
    trigger: {
      on: 'condition',
      when: {
        kind: 'all',
        label: 'red, or yellow with a hard condition, inside the 90-day renewal window',
        of: [
          {
            kind: 'any',
            of: [
              { kind: 'band', in: ['red'] },
              {
                kind: 'all',
                of: [
                  { kind: 'band', in: ['yellow'] },
                  { kind: 'metric', metric: 'hardConditionsActive', op: '>=', value: 1 },
                ],
              },
            ],
          },
          { kind: 'metric', metric: 'daysToRenewal', op: '<=', value: 90 },
          { kind: 'metric', metric: 'daysToRenewal', op: '>=', value: 0 },
        ],
      },
    },
    steps: [
      {
        id: 'save_plan',
        kind: 'task',
        assignee: 'csm',
        title: 'Save plan for {{customer.name}} (renewal {{customer.renewalDate}})',
        detail: 'Weakest inputs: {{health.reasons}}',
        dueInDays: 3,
        priority: 'urgent',
      },
      {
        id: 'tell_manager',
        kind: 'escalate',
        reason: '{{customer.name}} is at risk ({{trigger}}): {{health.reasons}}; renewal on {{customer.renewalDate}}, ARR {{customer.arr}}.',
      },
      {
        id: 'tell_sales',
        kind: 'email',
        to: 'sales',
        subject: 'Renewal at risk: {{customer.name}}',
        body: 'Health {{health.score}} ({{health.band}}), renewal {{customer.renewalDate}}, ARR {{customer.arr}}.',
      },
    ],
    caps: { cooldownDays: 30 },
  },
  {
    id: 'expansion_ready',
    label: 'Expansion ready: handoff to sales',
    goal: 'Sales opens an expansion opportunity with the value already proven',
    owner: { responsible: 'csm', informed: ['sales'] },
    trigger: {
      on: 'condition',
      when: {
        kind: 'all',
        label: 'ROI documented, a growth signal and at least two stakeholders engaged',
        of: [
          { kind: 'milestone', milestone: 'roi_documented' },
          {
            kind: 'any',
            of: [
              { kind: 'metric', metric: 'seatUtilization', op: '>=', value: 0.85 },
              { kind: 'milestone', milestone: 'business_case' },
              { kind: 'milestone', milestone: 'headcount_growth' },
            ],
          },
          { kind: 'stakeholders', engaged: true, min: 2 },
        ],
      },
    },
    steps: [
      { id: 'to_sales', kind: 'handoff', to: 'sales', target: 'crm', note: '{{customer.name}} is ready to expand: {{trigger}}. CSM: {{csm}}.' },
      {
        id: 'tell_sales',
        kind: 'email',
        to: 'sales',
        subject: 'Expansion ready: {{customer.name}}',
        body: '{{trigger}}.\nStakeholders: {{customer.stakeholders}}\nGoals: {{customer.goals}}\nARR {{customer.arr}}, renewal {{customer.renewalDate}}.',
      },
    ],
    caps: { cooldownDays: 90, maxPerYear: 2 },
  },
  {
    id: 'qbr_prep',
    label: 'QBR preparation',
    goal: 'The QBR is prepared with health, outcomes and next goals',
    owner: { responsible: 'csm', informed: [] },
    trigger: { on: 'timer', timer: 'qbr' },
    steps: [
      {
        id: 'qbr_task',
        kind: 'task',
        assignee: 'csm',
        title: 'Prepare the QBR for {{customer.name}}',
        detail: 'Health {{health.score}} ({{health.band}}); weakest inputs: {{health.reasons}}; goals: {{customer.goals}}',
        dueInDays: 10,
        priority: 'medium',
      },
    ],
    success: { when: { kind: 'milestone', milestone: 'qbr_held' }, withinDays: 30 },
    escalation: [
      {
        id: 'qbr_missed',
        kind: 'task',
        assignee: 'csm',
        title: 'QBR with {{customer.name}} not recorded: hold it or note why',
        dueInDays: 7,
        priority: 'high',
      },
    ],
  },
  {
    id: 'nps_detractor',
    label: 'NPS detractor closed loop',
    goal: 'The detractor hears back from the CSM within two days',
    owner: { responsible: 'csm', informed: ['csm_manager'] },
    trigger: { on: 'event', event: 'survey', match: { survey: 'nps', score: { lte: 6 } } },
    steps: [
      {
        id: 'detractor_task',
        kind: 'task',
        assignee: 'csm',
        title: 'Close the loop with a detractor at {{customer.name}} ({{trigger}})',
        dueInDays: 2,
        priority: 'urgent',
      },
      {
        id: 'detractor_email',
        kind: 'email',
        to: 'csm',
        subject: 'Detractor at {{customer.name}}: {{trigger}}',
        body: 'Call them within two days and record the milestone detractor_followup_done.',
      },
      { id: 'followed_up', kind: 'wait', for: { milestone: 'detractor_followup_done' }, withinDays: 7, onTimeout: 'escalate' },
    ],
    caps: { cooldownDays: 30 },
  },
  {
    id: 'advocacy_ask',
    label: 'Advocacy ask',
    goal: 'A happy customer writes a review, takes a reference call or a case study',
    owner: { responsible: 'csm', informed: ['marketing'] },
    trigger: { on: 'timer', timer: 'advocacy' },
    onlyIf: { kind: 'band', in: ['green'] },
    steps: [
      {
        id: 'ask_champion',
        kind: 'email',
        to: 'champion',
        subject: 'Would you share your story?',
        body: 'Hi {{recipient.name}},\n\nit has been a good few months together. Would you write a short review or take a reference call? {{csm}} will follow up.',
      },
      {
        id: 'tell_marketing',
        kind: 'task',
        assignee: 'marketing',
        title: 'Advocacy candidate: {{customer.name}}',
        detail: 'Champion {{champion.name}}; CSM {{csm}}; health {{health.score}}',
        dueInDays: 14,
        priority: 'low',
      },
    ],
    caps: { maxPerYear: 1 },
  },
  {
    id: 'green_account',
    label: 'Green account playbook',
    goal: 'Turn a healthy account into expansion or advocacy',
    owner: { responsible: 'csm', informed: [] },
    trigger: { on: 'band_changed', to: ['green'] },
    stages: [...ACTIVE_STAGES],
    steps: [
      { id: 'green_task', kind: 'task', assignee: 'csm', title: '{{customer.name}} is green: look for expansion and advocacy', dueInDays: 14, priority: 'low' },
    ],
    caps: { cooldownDays: 60 },
  },
  {
    id: 'yellow_account',
    label: 'Yellow account playbook',
    goal: 'Find out what slipped before it turns red',
    owner: { responsible: 'csm', informed: [] },
    trigger: { on: 'band_changed', to: ['yellow'] },
    stages: [...ACTIVE_STAGES],
    steps: [
      {
        id: 'yellow_task',
        kind: 'task',
        assignee: 'csm',
        title: 'Check in with {{customer.name}}: health {{health.score}} (yellow)',
        detail: 'Weakest inputs: {{health.reasons}}',
        dueInDays: 14,
        priority: 'medium',
      },
    ],
    caps: { cooldownDays: 30 },
  },
  {
    id: 'red_account',
    label: 'Red account playbook',
    goal: 'Back to yellow or green within 30 days',
    owner: { responsible: 'csm', informed: ['csm_manager'] },
    trigger: { on: 'band_changed', to: ['red'] },
    steps: [
      {
        id: 'risk_review',
        kind: 'task',
        assignee: 'csm',
        title: 'Risk review for {{customer.name}}: health {{health.score}} (red)',
        detail: 'Weakest inputs: {{health.reasons}}',
        dueInDays: 3,
        priority: 'urgent',
      },
      { id: 'red_email_csm', kind: 'email', to: 'csm', subject: '{{customer.name}} turned red', body: '{{trigger}}. Weakest inputs: {{health.reasons}}.' },
    ],
    success: { when: { kind: 'band', in: ['yellow', 'green'] }, withinDays: 30 },
    caps: { cooldownDays: 30 },
  },
];
