/**
 * A client this project did not write — Segment's own Node SDK (@segment/analytics-node) — pointed
 * at the API delivers group, identify and track calls end to end: they reach the customer's
 * workflow as lifecycle events, and its retries are recognised as repeats.
 */
import { Analytics } from '@segment/analytics-node';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApiKey } from '../../src/api/api-keys';
import type { Database } from '../../src/db/database';
import { customerWorkflowId } from '../../src/domain/ids';
import { createCustomer } from '../../src/ingest/create-customer';
import { getStateQuery } from '../../workflows/messages';
import { handoff } from '../support/customers';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { uniqueSuffix } from '../support/servers';
import { until } from '../support/until';

describe('Segment payloads (Segment Node SDK against the API)', () => {
  let stack: ApiStack;
  let env: TestWorkflowEnvironment;
  let database: Database;
  let api: ApiStack['api'];
  let key: string;
  let taskQueue: string;

  beforeAll(async () => {
    stack = await startApiStack('segment');
    ({ env, database, api, taskQueue } = stack);
    key = await createApiKey(database.prisma, 'segment-source', ['events:write']);
  });
  afterAll(() => stack?.stop());

  it('maps group, identify and track calls to the customer, once', async () => {
    const input = handoff({ startAt: Date.now(), name: `Segment ${uniqueSuffix()}` });
    await createCustomer({ prisma: database.prisma, client: env.client, taskQueue }, input);
    const analytics = new Analytics({ writeKey: key, host: api.url, path: '/v1/segment/batch', flushAt: 50, flushInterval: 200 });
    const userId = `user-${uniqueSuffix()}`;
    analytics.group({ userId, groupId: input.customerId, traits: { name: input.name } });
    analytics.identify({ userId, traits: { email: 'ana@acme.example' } });
    analytics.track({ userId, event: 'Logged In', messageId: `login-${userId}` });
    analytics.track({ userId, event: 'Report Exported', properties: { feature: 'reports' }, messageId: `report-${userId}` });
    analytics.track({ userId, event: 'Milestone Reached', properties: { milestone: 'setup_done' }, messageId: `setup-${userId}` });
    analytics.track({ userId, event: 'Survey Responded', properties: { survey: 'nps', score: 9 }, messageId: `nps-${userId}` });
    // Segment retries with the same messageId: a repeat, not a second event.
    analytics.track({ userId, event: 'Milestone Reached', properties: { milestone: 'setup_done' }, messageId: `setup-${userId}` });
    analytics.track({ userId: 'stranger', event: 'Logged In', messageId: `stranger-${userId}` });
    await analytics.closeAndFlush({ timeout: 15_000 });

    const rows = await database.prisma.ingestedEvent.findMany({ where: { customerId: input.customerId, source: 'segment' }, orderBy: { idempotencyKey: 'asc' } });
    expect(rows.map((r) => [r.idempotencyKey, r.type])).toEqual([
      [`segment:login-${userId}`, 'usage'],
      [`segment:nps-${userId}`, 'survey'],
      [`segment:report-${userId}`, 'usage'],
      [`segment:setup-${userId}`, 'milestone'],
    ]);
    expect(rows.every((r) => r.deliveredAt !== null)).toBe(true);
    const handle = env.client.workflow.getHandle(customerWorkflowId(input.customerId));
    const state = await until('the workflow to apply the Segment events', async () => {
      const current = await handle.query(getStateQuery);
      return current.facts.milestones.setup_done !== undefined && current;
    });
    expect(state.facts.surveys.nps?.score).toBe(9);
    expect(state.facts.keyFeaturesUsed).toContain('reports');
    expect(state.facts.lastLoginAt).toBeDefined();
    expect(await database.prisma.segmentIdentity.findUnique({ where: { userId } })).toMatchObject({ customerId: input.customerId });
  });

  const post = (kind: string, body: unknown) =>
    fetch(`${api.url}/v1/segment/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      body: JSON.stringify(body),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, any> }));

  it('parks a track from a user no call has tied to a customer yet, and delivers it when one does', async () => {
    const input = handoff({ startAt: Date.now(), name: `Segment ${uniqueSuffix()}` });
    await createCustomer({ prisma: database.prisma, client: env.client, taskQueue }, input);
    const userId = `early-${uniqueSuffix()}`;
    const early = await post('track', { type: 'track', userId, event: 'Milestone Reached', properties: { milestone: 'setup_done' }, messageId: `early-${userId}`, timestamp: '2026-11-01T09:00:00Z' });
    expect(early).toMatchObject({ status: 200, body: { accepted: 0, parked: [{ messageId: `early-${userId}`, userId }] } });
    expect(await database.prisma.ingestedEvent.count({ where: { idempotencyKey: `segment:early-${userId}` } })).toBe(0);

    const tied = await post('group', { type: 'group', userId, groupId: input.customerId, messageId: `group-${userId}` });
    expect(tied).toMatchObject({ status: 200, body: { accepted: 1, parked: [] } });
    const row = await database.prisma.ingestedEvent.findUniqueOrThrow({ where: { idempotencyKey: `segment:early-${userId}` } });
    expect(row).toMatchObject({ customerId: input.customerId, type: 'milestone', occurredAt: new Date('2026-11-01T09:00:00Z') });
    expect(row.deliveredAt).not.toBeNull();
    expect(await database.prisma.segmentParkedMessage.count({ where: { userId } })).toBe(0);
  });

  it('skips only the message with an unreadable timestamp, naming it', async () => {
    const input = handoff({ startAt: Date.now(), name: `Segment ${uniqueSuffix()}` });
    await createCustomer({ prisma: database.prisma, client: env.client, taskQueue }, input);
    const properties = { customerId: input.customerId };
    const answer = await post('batch', {
      batch: [
        { type: 'track', userId: 'u', event: 'Logged In', properties, messageId: `bad-time-${input.customerId}`, timestamp: 'yesterday' },
        { type: 'track', userId: 'u', event: 'Logged In', properties, messageId: `good-time-${input.customerId}` },
      ],
    });
    expect(answer).toMatchObject({ status: 200, body: { accepted: 1, skipped: [{ messageId: `bad-time-${input.customerId}`, reason: expect.stringContaining('occurredAt') }] } });
  });

  it('answers an invalid Segment payload with the field', async () => {
    const response = await fetch(`${api.url}/v1/segment/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      body: JSON.stringify({ type: 'track', userId: 'u1' }),
    });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { issues: { path: string }[] }).issues.map((i) => i.path)).toContain('event');
  });
});
