/**
 * The built-in plays firing from simulated customer lives: real workflow code on the time-skipping
 * test server, email to a real SMTP server in-process, webhooks to a real HTTP receiver, tasks and
 * the outbox in a real PostgreSQL database. Each scenario asserts what the play did, not how.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import type { TCustomerEvent, TCustomerHandoff } from '../../src/domain/customer-events';
import type { Database } from '../../src/db/database';
import { customerWorkflowId } from '../../src/domain/ids';
import { ZMailConfig } from '../../src/mail/mail-config';
import { startSmtpSink, type SmtpSink } from '../../src/mail/smtp-sink';
import { createMailer, type Mailer } from '../../src/mail/transport';
import { customerLifecycleWorkflow } from '../../workflows';
import { customerEventsSignal, getTimelineQuery } from '../../workflows/messages';
import { DAY, handoff, milestone, survey, usage } from '../support/customers';
import { createTimeSkippingEnv, openTestDatabase, startTestWorker, uniqueSuffix } from '../support/servers';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

type Handle = WorkflowHandle<typeof customerLifecycleWorkflow>;
const SECRET = 'plays-test-webhook-secret';

describe('plays (time-skipping server, real SMTP and webhooks)', () => {
  let database: Database;
  let smtp: SmtpSink;
  let mailer: Mailer;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    [database, smtp, receiver] = await Promise.all([openTestDatabase('plays_ts'), startSmtpSink(), startWebhookReceiver({ secret: SECRET })]);
    mailer = createMailer({ ...ZMailConfig.parse({ SMTP_URL: smtp.url }), SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    mailer?.close();
    await Promise.all([database?.close(), smtp?.stop(), receiver?.stop()]);
  });

  interface Story {
    handle: Handle;
    customerId: string;
    start: number;
    env: TestWorkflowEnvironment;
    day: (n: number) => Promise<number>;
    send: (...events: TCustomerEvent[]) => Promise<void>;
  }

  /** One customer's life on its own test server (see the lifecycle tests for why one per scenario). */
  async function scenario(makeHandoff: (startAt: number) => TCustomerHandoff, story: (s: Story) => Promise<void>): Promise<void> {
    const env = await createTimeSkippingEnv();
    try {
      const { worker, taskQueue } = await startTestWorker(env, database, {
        mailer,
        webhookTargets: {
          crm: { url: receiver.url, secret: SECRET, timeoutMs: 5_000 },
          support_desk: { url: receiver.url, secret: SECRET, timeoutMs: 5_000 },
        },
      });
      const start = await env.currentTimeMs();
      const input = makeHandoff(start);
      await worker.runUntil(async () => {
        const handle = await env.client.workflow.start(customerLifecycleWorkflow, {
          workflowId: customerWorkflowId(input.customerId),
          taskQueue,
          args: [{ handoff: input }],
        });
        // Minutes past the day boundary: every lifecycle timer is a whole number of days after the
        // start, and on the Java test server (1.38.0) a timer firing while a signal's workflow task is
        // in flight can fail that task ("invalid history builder state") and stall the customer.
        const day = async (n: number) => {
          const target = start + n * DAY + 37 * 60 * 1000;
          const now = await env.currentTimeMs();
          if (target > now) await env.sleep(target - now);
          return target;
        };
        const send = async (...events: TCustomerEvent[]) => {
          await handle.signal(customerEventsSignal, events);
          await env.sleep('1 minute');
        };
        await story({ handle, customerId: input.customerId, start, env, day, send });
      });
    } finally {
      await env.teardown();
    }
  }

  const runsOf = (customerId: string) => database.prisma.playRun.findMany({ where: { customerId }, orderBy: { startedAt: 'asc' } });
  const tasksOf = (customerId: string) => database.prisma.csmTask.findMany({ where: { customerId }, orderBy: { createdAt: 'asc' } });
  const mailTo = (customerName: string) => smtp.messages.filter((m) => m.subject.includes(customerName) || m.text.includes(customerName));
  const customerHandoff = (startAt: number, overrides: Partial<TCustomerHandoff> = {}) =>
    handoff({
      startAt,
      name: `Acme ${uniqueSuffix()}`,
      stakeholders: [
        { id: 'champ', name: 'Priya', role: 'champion', email: 'priya@acme.example' },
        { id: 'sponsor', name: 'Tom', role: 'executive_sponsor', email: 'tom@acme.example' },
      ],
      successCriteria: ['Dashboards live for the ops team'],
      goals: ['Cut reporting time in half'],
      ...overrides,
    });

  it('kicks off onboarding: briefs the CSM, welcomes the champion outside quiet hours, ends when the kickoff is held', async () => {
    let name = '';
    await scenario(
      (startAt) => {
        const h = customerHandoff(startAt, { timezone: 'Asia/Tokyo' });
        name = h.name;
        return h;
      },
      async ({ customerId, day, send, start }) => {
        await day(2);
        await send(milestone('kickoff_held', start + 2 * DAY));
        await day(3);
        const [run] = (await runsOf(customerId)).filter((r) => r.playId === 'onboarding_kickoff');
        expect(run).toMatchObject({ status: 'completed', why: 'sales handoff', causeType: 'handoff' });
        const tasks = await tasksOf(customerId);
        expect(tasks).toContainEqual(expect.objectContaining({ title: `Hold the kickoff with ${name}`, assignee: 'dana@example.com', priority: 'high' }));
        const brief = mailTo(name).find((m) => m.subject.startsWith('New customer:'));
        expect(brief?.to).toEqual(['dana@example.com']);
        expect(brief?.text).toContain('Success criteria: Dashboards live for the ops team');
        const welcome = await smtp.waitFor((m) => m.to.includes('priya@acme.example') && m.subject.includes(name));
        expect(welcome.text).toContain('Hi Priya');
        // Quiet hours: the welcome went out on a weekday between 08:00 and 19:00 in Tokyo.
        const outbox = await database.prisma.emailOutbox.findFirstOrThrow({ where: { customerId, recipientRole: 'champion' } });
        const local = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Tokyo', hourCycle: 'h23', hour: 'numeric', weekday: 'short' }).formatToParts(outbox.plannedAt);
        const hour = Number(local.find((p) => p.type === 'hour')!.value);
        expect(hour).toBeGreaterThanOrEqual(8);
        expect(hour).toBeLessThan(19);
        expect(['Sat', 'Sun']).not.toContain(local.find((p) => p.type === 'weekday')!.value);
      },
    );
  });

  it('escalates to the CSM manager when the kickoff is not held within a week', async () => {
    let name = '';
    await scenario(
      (startAt) => {
        const h = customerHandoff(startAt);
        name = h.name;
        return h;
      },
      async ({ customerId, day }) => {
        await day(9);
        const [run] = (await runsOf(customerId)).filter((r) => r.playId === 'onboarding_kickoff');
        expect(run?.status).toBe('escalated');
        expect(await tasksOf(customerId)).toContainEqual(
          expect.objectContaining({ assignee: 'cs-managers@example.com', priority: 'urgent', title: `Escalation: Onboarding kickoff for ${name}` }),
        );
        const escalation = mailTo(name).find((m) => m.subject.startsWith('[Escalation]'));
        expect(escalation?.to).toEqual(['cs-managers@example.com']);
        expect(escalation?.text).toContain('kickoff_held did not happen within 7 days');
      },
    );
  });
});
