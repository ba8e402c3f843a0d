/**
 * The lifecycle the engine ships with: five stages with owners, exit criteria and SLAs, the rules for
 * moving back, two health models, three segments and the renewal ladder. It exists so a new install
 * runs a sensible customer-success motion on day one, and so ops have a worked example to copy.
 *
 * Sources: the stage table and exit criteria of seed 001, the health weights, bands and time boxes of
 * seed 002, the day 0-7 / 7-30 / 30-90 onboarding milestones of seed 004, and the cadences in
 * `shared/reference/cs-domain.md`. Every number below is a default, not a law: ops change it here,
 * in review, and bump `version` (it is stamped on every score and stage change, so a config change is
 * never mistaken for a change in the customer's behaviour).
 *
 * Plain data, validated by `ZLifecycleDefinition` at import time: a typo fails the worker at start,
 * not a customer's workflow months later. Sandbox-safe.
 */
import { DEFAULT_PLAYS, DEFAULT_PLAY_SETTINGS } from '../plays/default-plays';
import { type TCondition, type TLifecycleDefinition, type TLifecycleDefinitionInput, ZLifecycleDefinition } from './lifecycle-definition';

type HardConditionInput = NonNullable<TLifecycleDefinitionInput['healthModels'][number]['hardConditions']>[number];

/** A champion left (or changed role) and nobody has been named champion since. */
const CHAMPION_LOST: TCondition = {
  kind: 'all',
  label: 'champion lost',
  of: [
    { kind: 'metric', metric: 'daysSinceChampionLeft', op: '>=', value: 0 },
    { kind: 'metric', metric: 'championPresent', op: '==', value: 0 },
  ],
};

/**
 * Risk the weighted score averages away (cs-domain: "champion left" and "detractor" are the classic
 * churn signals; seed 001's red means "at risk"). Healthy usage carries 35% of the score and can hold
 * an account above the red line while its champion is gone and the users complain: these say red.
 */
const HARD_CONDITIONS: HardConditionInput[] = [
  {
    id: 'champion_lost_with_risk',
    label: 'champion left {{daysSinceChampionLeft}} days ago, with NPS {{nps}} and {{highSeverityTickets60d}} high/urgent tickets in 60 days',
    cap: 'red',
    when: {
      kind: 'all',
      of: [
        CHAMPION_LOST,
        {
          kind: 'any',
          of: [
            {
              kind: 'all',
              label: 'detractor in the last 90 days',
              of: [
                { kind: 'metric', metric: 'nps', op: '<=', value: 6 },
                { kind: 'metric', metric: 'daysSinceNps', op: '<=', value: 90 },
              ],
            },
            { kind: 'metric', metric: 'highSeverityTickets60d', op: '>=', value: 3, label: 'ticket spike' },
          ],
        },
      ],
    },
  },
  // Alone, a lost champion is a yellow account at best until a new one is named.
  { id: 'champion_lost', label: 'champion left {{daysSinceChampionLeft}} days ago, none named since', cap: 'yellow', when: CHAMPION_LOST },
];

export const DEFAULT_LIFECYCLE: TLifecycleDefinition = ZLifecycleDefinition.parse({
  name: 'default',
  version: '2026.12.1', // 2026.12.1: held to the seeds (hard conditions, rungs per term, timed exits)

  stages: [
    {
      // Seed 002: days 0-90; seed 004: setup by day 7, first value by day 30, habits by day 90.
      id: 'onboarding',
      owner: 'CSM + implementation',
      exit: {
        required: [
          { id: 'setup_done', label: 'Technical setup complete', when: { kind: 'milestone', milestone: 'setup_done' } },
          { id: 'training_done', label: 'Initial training complete', when: { kind: 'milestone', milestone: 'training_done' } },
          { id: 'first_value', label: 'First-value milestone reached', when: { kind: 'milestone', milestone: 'first_value' } },
        ],
        // Nice-to-haves shown as progress; none is needed to move on.
        optional: [
          { id: 'kickoff_held', label: 'Kickoff held (week 1)', when: { kind: 'milestone', milestone: 'kickoff_held' } },
          {
            id: 'users_active',
            label: 'Users active (within 14 days)',
            when: { kind: 'metric', metric: 'activeUsers', op: '>=', value: 1 },
          },
          {
            id: 'satisfied',
            label: 'Onboarding satisfaction (CSAT >= 4.0)',
            when: { kind: 'metric', metric: 'csat', op: '>=', value: 4 },
          },
        ],
        minOptional: 0,
      },
      // Behind at 45 days (well past the 30-day first-value target), stuck at the end of the 90-day box.
      sla: { behindAfterDays: 45, stuckAfterDays: 90 },
      healthModel: 'onboarding',
    },
    {
      // Seed 002: days 30-180, 70%+ feature adoption.
      id: 'adoption',
      owner: 'CSM',
      exit: {
        required: [
          {
            id: 'usage_threshold',
            label: 'Usage threshold reached (70% key-feature adoption, 60% of seats used)',
            when: {
              kind: 'all',
              of: [
                { kind: 'metric', metric: 'keyFeatureAdoption', op: '>=', value: 0.7 },
                { kind: 'metric', metric: 'seatUtilization', op: '>=', value: 0.6 },
              ],
            },
          },
          {
            id: 'core_training_done',
            label: 'Core product training complete',
            when: { kind: 'milestone', milestone: 'core_training_done' },
          },
          {
            id: 'champion_identified',
            label: 'At least one internal champion identified',
            when: { kind: 'stakeholders', role: 'champion', min: 1 },
          },
        ],
        optional: [
          {
            id: 'executive_sponsor_engaged',
            label: 'Executive sponsor engaged',
            when: { kind: 'stakeholders', role: 'executive_sponsor', engaged: true, min: 1 },
          },
          {
            id: 'logins_growing',
            label: 'Logins flat or growing month over month',
            when: { kind: 'metric', metric: 'loginTrend', op: '>=', value: 0 },
          },
        ],
        minOptional: 0,
      },
      // A ~150-day box (day 30 to day 180).
      sla: { behindAfterDays: 120, stuckAfterDays: 180 },
      // No move back: a red adopter gets the red-account play in place. Sending it to onboarding would
      // bounce straight back (its onboarding milestones are already reached).
    },
    {
      id: 'retention',
      owner: 'CSM + renewals',
      exit: {
        required: [
          { id: 'value_review', label: 'Value review done', when: { kind: 'milestone', milestone: 'value_review' } },
          {
            id: 'health_above_threshold',
            label: 'Health score at least 70',
            when: { kind: 'metric', metric: 'healthScore', op: '>=', value: 70 },
          },
          {
            id: 'renewal_conversation_started',
            label: 'Renewal conversation started (>= 90 days before contract end)',
            // Seed 001: "initiated at least 90 days before contract end"; a later one is shown as late.
            when: { kind: 'milestone', milestone: 'renewal_conversation_started', atLeastDaysBeforeContractEnd: 90 },
          },
        ],
        optional: [
          { id: 'qbr_held', label: 'QBR held with the decision maker', when: { kind: 'milestone', milestone: 'qbr_held' } },
          {
            id: 'promoter',
            label: 'Promoter (NPS 9-10)',
            when: { kind: 'metric', metric: 'nps', op: '>=', value: 9 },
          },
        ],
        minOptional: 0,
      },
      // Retention waits for the renewal run-up (value review at T-120, the conversation by T-90), so its
      // time box runs to the renewal window, not a number of days in stage: a yearly customer entering
      // at day 60 cannot be done by day 210. Behind once the conversation's deadline passes, stuck at
      // the negotiation rung.
      sla: { behindDaysBeforeContractEnd: 90, stuckDaysBeforeContractEnd: 60 },
    },
    {
      // Seed 002: from day 120; seed 001: proven value, growth signal, multi-threaded.
      id: 'expansion',
      owner: 'CSM -> sales',
      exit: {
        required: [
          { id: 'roi_documented', label: 'ROI documented', when: { kind: 'milestone', milestone: 'roi_documented' } },
          {
            id: 'business_case',
            label: 'Business case for upsell or cross-sell',
            when: { kind: 'milestone', milestone: 'business_case' },
          },
          {
            id: 'stakeholders_engaged',
            label: 'At least 2 stakeholders engaged',
            when: { kind: 'stakeholders', engaged: true, min: 2 },
          },
        ],
        optional: [
          {
            id: 'growth_signal',
            label: 'Growth signal (seats near plan limit or headcount growth)',
            when: {
              kind: 'any',
              of: [
                { kind: 'metric', metric: 'seatUtilization', op: '>=', value: 0.9 },
                { kind: 'milestone', milestone: 'headcount_growth' },
              ],
            },
          },
        ],
        minOptional: 0,
      },
      // About one quarter of sales cycle before behind, two before stuck.
      sla: { behindAfterDays: 90, stuckAfterDays: 180 },
      moveBack: [
        {
          id: 'red_in_expansion',
          when: { kind: 'band', in: ['red'] },
          to: 'retention',
          // Retention needs health >= 70 to exit again, so a red account cannot bounce straight back.
          reason: 'Red health during expansion: back to a retention (risk) motion before selling more',
        },
      ],
    },
    {
      // Launched 6-12 months after onboarding (timers.advocacyWindow). The last stage: its exit marks
      // "advocate achieved" rather than a move.
      id: 'advocacy',
      owner: 'CSM + marketing',
      exit: {
        required: [
          {
            id: 'advocate',
            label: 'Review submitted, reference call agreed or case study done',
            when: {
              kind: 'any',
              of: [
                { kind: 'milestone', milestone: 'review_submitted', label: 'Review submitted' },
                { kind: 'milestone', milestone: 'reference_agreed', label: 'Reference call agreed' },
                { kind: 'milestone', milestone: 'case_study', label: 'Case study done' },
              ],
            },
          },
        ],
        optional: [
          {
            id: 'community_member',
            label: 'Joined the customer community',
            when: { kind: 'milestone', milestone: 'community_joined' },
          },
        ],
        minOptional: 0,
      },
      sla: { behindAfterDays: 90, stuckAfterDays: 180 },
      moveBack: [
        {
          id: 'red_in_advocacy',
          when: { kind: 'band', in: ['red'] },
          to: 'retention',
          reason: 'Red health: no advocacy ask; back to a retention (risk) motion',
        },
      ],
    },
  ],

  healthModels: [
    {
      // Seed 002: 0.35 usage + 0.25 engagement + 0.25 business outcomes + 0.15 relationship;
      // green 80-100, yellow 60-79, red 0-59. Input weights are relative within their dimension.
      id: 'default',
      dimensions: [
        {
          id: 'usage',
          label: 'Usage',
          weight: 0.35,
          inputs: [
            { metric: 'daysSinceLastLogin', weight: 0.3, zeroAt: 30, fullAt: 0 },
            { metric: 'seatUtilization', weight: 0.25, zeroAt: 0, fullAt: 0.8 },
            { metric: 'keyFeatureAdoption', weight: 0.3, zeroAt: 0, fullAt: 0.7 },
            // Logins down 40% month over month scores zero; flat or growing scores full.
            { metric: 'loginTrend', weight: 0.15, zeroAt: -0.4, fullAt: 0 },
          ],
        },
        {
          id: 'engagement',
          label: 'Engagement',
          weight: 0.25,
          inputs: [
            { metric: 'stakeholdersEngaged', weight: 0.3, zeroAt: 0, fullAt: 3 },
            { metric: 'championPresent', weight: 0.25, zeroAt: 0, fullAt: 1 },
            { metric: 'executiveSponsorEngaged', weight: 0.2, zeroAt: 0, fullAt: 1 },
            { metric: 'csmSentiment', weight: 0.25, zeroAt: 1, fullAt: 5 },
          ],
        },
        {
          id: 'outcomes',
          label: 'Business outcomes',
          weight: 0.25,
          inputs: [
            { metric: 'outcomesAchieved', weight: 0.7, zeroAt: 0, fullAt: 3 },
            { metric: 'nps', weight: 0.3, zeroAt: 0, fullAt: 10 },
          ],
        },
        {
          id: 'relationship',
          label: 'Relationship',
          weight: 0.15,
          inputs: [
            { metric: 'csat', weight: 0.3, zeroAt: 1, fullAt: 5 },
            { metric: 'openHighSeverityTickets', weight: 0.3, zeroAt: 3, fullAt: 0 },
            { metric: 'paymentCurrent', weight: 0.25, zeroAt: 0, fullAt: 1 },
            { metric: 'ces', weight: 0.15, zeroAt: 7, fullAt: 1 },
          ],
        },
      ],
      bands: { green: 80, yellow: 60 },
      trendThreshold: 5,
      trendWindowDays: 30,
      // Under half the weight known is no verdict: insufficient_data, no band plays.
      minKnownWeight: 0.5,
      hardConditions: HARD_CONDITIONS,
    },
    {
      // Early signals only: no outcomes are expected before first value, so there is no outcomes
      // dimension; recency is stricter (the "not logged in since day 3" stall) and engagement weighs more.
      id: 'onboarding',
      dimensions: [
        {
          id: 'usage',
          label: 'Early usage',
          weight: 0.45,
          inputs: [
            { metric: 'daysSinceLastLogin', weight: 0.5, zeroAt: 14, fullAt: 0 },
            { metric: 'seatUtilization', weight: 0.25, zeroAt: 0, fullAt: 0.5 },
            { metric: 'keyFeatureAdoption', weight: 0.25, zeroAt: 0, fullAt: 0.4 },
          ],
        },
        {
          id: 'engagement',
          label: 'Stakeholder engagement',
          weight: 0.4,
          inputs: [
            { metric: 'stakeholdersEngaged', weight: 0.35, zeroAt: 0, fullAt: 2 },
            { metric: 'executiveSponsorEngaged', weight: 0.2, zeroAt: 0, fullAt: 1 },
            { metric: 'championPresent', weight: 0.15, zeroAt: 0, fullAt: 1 },
            { metric: 'csmSentiment', weight: 0.3, zeroAt: 1, fullAt: 5 },
          ],
        },
        {
          id: 'relationship',
          label: 'Relationship',
          weight: 0.15,
          inputs: [
            { metric: 'csat', weight: 0.4, zeroAt: 1, fullAt: 5 },
            { metric: 'openHighSeverityTickets', weight: 0.4, zeroAt: 2, fullAt: 0 },
            { metric: 'paymentCurrent', weight: 0.2, zeroAt: 0, fullAt: 1 },
          ],
        },
      ],
      bands: { green: 80, yellow: 60 },
      trendThreshold: 5,
      // Onboarding is short: look at a two-week trend.
      trendWindowDays: 14,
      // A first login alone (usage, the champion named, no open tickets: 60% of the weight) is no
      // verdict yet; an engagement recorded, a CSAT or the CSM's sentiment on top of it is.
      minKnownWeight: 0.65,
      hardConditions: HARD_CONDITIONS,
    },
  ],
  defaultHealthModel: 'default',

  // First match wins: ordered from the largest ARR down; tech_touch catches everyone else.
  segments: [
    {
      id: 'enterprise',
      label: 'Enterprise (high touch)',
      minArr: 50_000,
      engagement: 'high_touch',
      csmRatio: 20,
      qbrEveryDays: 90, // quarterly, plus a yearly executive review
      timeToFirstValueDays: 90,
    },
    {
      id: 'mid_market',
      label: 'Mid-market (hybrid)',
      minArr: 15_000,
      engagement: 'hybrid',
      csmRatio: 60,
      qbrEveryDays: 180, // semi-annual, with a mid-cycle health check
      timeToFirstValueDays: 60,
    },
    {
      id: 'tech_touch',
      label: 'Tech touch (pooled)',
      minArr: 0,
      engagement: 'tech_touch',
      csmRatio: 250,
      qbrEveryDays: 90, // an automated quarterly business review
      timeToFirstValueDays: 30,
    },
  ],

  timers: {
    // Relative to the contract end; moves with it when the renewal date moves.
    renewalLadder: [
      { id: 'value_review', label: 'Value review', daysFromContractEnd: -120, segments: ['enterprise', 'mid_market'] },
      { id: 'renewal_conversation', label: 'Renewal conversation started', daysFromContractEnd: -90 },
      { id: 'negotiation', label: 'Negotiation', daysFromContractEnd: -60 },
      { id: 'signature', label: 'Signature', daysFromContractEnd: -30 },
      { id: 'lapsed', label: 'Contract lapsed', daysFromContractEnd: 1 },
    ],
    inactivityDays: 14, // seeds 001/004: no login for 14 days -> outreach
    advocacyWindow: { fromDaysAfterOnboarding: 180, toDaysAfterOnboarding: 365 }, // 6-12 months
    healthTickHours: 24,
  },

  keyFeatures: ['dashboards', 'reports', 'alerts', 'integrations', 'api', 'sso'],
  outcomeMilestones: ['first_value', 'value_review', 'roi_documented', 'business_case'],

  plays: DEFAULT_PLAYS,
  playSettings: DEFAULT_PLAY_SETTINGS,
} satisfies TLifecycleDefinitionInput);
