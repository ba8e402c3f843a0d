/**
 * A client this project did not write — Segment's own Node SDK (@segment/analytics-node) — pointed
 * at the API delivers group, identify, track, page, screen and alias calls end to end: they reach
 * the customer's workflow as lifecycle events, and its retries are recognised as repeats. A batch
 * loses only the messages that cannot be read (each named), never the whole flush.
 */
import { Analytics } from '@segment/analytics-node';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApiKey } from '../../src/api/api-keys';
import type { Database } from '../../src/db/database';
import { customerWorkflowId } from '../../src/domain/ids';
import { createCustomer } from '../../src/ingest/create-customer';
import { getCarriedStateQuery } from '../../workflows/messages';
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

    const rows = await database.prisma.ingestedEvent.findMany({
      where: { customerId: input.customerId, source: 'segment' },
      orderBy: { idempotencyKey: 'asc' },
    });
    expect(rows.map((r) => [r.idempotencyKey, r.type])).toEqual([
      [`segment:login-${userId}`, 'usage'],
      [`segment:nps-${userId}`, 'survey'],
      [`segment:report-${userId}`, 'usage'],
      [`segment:setup-${userId}`, 'milestone'],
    ]);
    expect(rows.every((r) => r.deliveredAt !== null)).toBe(true);
    const handle = env.client.workflow.getHandle(customerWorkflowId(input.customerId));
    const state = await until('the workflow to apply the Segment events', async () => {
      const current = await handle.query(getCarriedStateQuery);
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

  it('answers a retried message without a timestamp as a duplicate, not a 409 for the whole flush', async () => {
    const input = handoff({ startAt: Date.now(), name: `Segment ${uniqueSuffix()}` });
    await createCustomer({ prisma: database.prisma, client: env.client, taskQueue }, input);
    const userId = `retry-${uniqueSuffix()}`;
    expect((await post('group', { type: 'group', userId, groupId: input.customerId, messageId: `g-${userId}` })).status).toBe(200);
    // No timestamp: each copy is dated when it arrives, so the two payloads differ.
    const track = { type: 'track', userId, event: 'Report Viewed', properties: { feature: 'reports' }, messageId: `t-${userId}` };
    expect(await post('batch', { batch: [track] })).toMatchObject({ status: 200, body: { accepted: 1 } });
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await post('batch', { batch: [track] })).toMatchObject({ status: 200, body: { accepted: 0, duplicates: 1 } });
    expect(await database.prisma.ingestedEvent.count({ where: { idempotencyKey: `segment:t-${userId}` } })).toBe(1);
  });

  it('parks a track from a user no call has tied to a customer yet, and delivers it when one does', async () => {
    const input = handoff({ startAt: Date.now(), name: `Segment ${uniqueSuffix()}` });
    await createCustomer({ prisma: database.prisma, client: env.client, taskQueue }, input);
    const userId = `early-${uniqueSuffix()}`;
    const early = await post('track', {
      type: 'track',
      userId,
      event: 'Milestone Reached',
      properties: { milestone: 'setup_done' },
      messageId: `early-${userId}`,
      timestamp: '2026-11-01T09:00:00Z',
    });
    expect(early).toMatchObject({ status: 200, body: { accepted: 0, parked: [{ messageId: `early-${userId}`, userId }] } });
    expect(await database.prisma.ingestedEvent.count({ where: { idempotencyKey: `segment:early-${userId}` } })).toBe(0);

    const tied = await post('group', { type: 'group', userId, groupId: input.customerId, messageId: `group-${userId}` });
    expect(tied).toMatchObject({ status: 200, body: { accepted: 1, parked: [] } });
    const row = await database.prisma.ingestedEvent.findFirstOrThrow({ where: { idempotencyKey: `segment:early-${userId}` } });
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
    expect(answer).toMatchObject({
      status: 200,
      body: { accepted: 1, skipped: [{ messageId: `bad-time-${input.customerId}`, reason: expect.stringContaining('occurredAt') }] },
    });
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

  const postRaw = (kind: string, body: string) =>
    fetch(`${api.url}/v1/segment/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      body,
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, any> }));

  const newCustomer = async () => {
    const input = handoff({ startAt: Date.now(), name: `Segment ${uniqueSuffix()}` });
    await createCustomer({ prisma: database.prisma, client: env.client, taskQueue }, input);
    return input;
  };

  it('takes a Segment SDK flush of group, track, page, screen and alias calls whole: every usable message arrives', async () => {
    const input = await newCustomer();
    // A long interval: closeAndFlush sends everything queued as one batch, as a busy source would.
    const analytics = new Analytics({ writeKey: key, host: api.url, path: '/v1/segment/batch', flushAt: 50, flushInterval: 60_000 });
    const sent: Array<{ types: string[]; status?: number }> = [];
    analytics.on('http_request', (request) => sent.push({ types: (JSON.parse(request.body) as { batch: { type: string }[] }).batch.map((m) => m.type) }));
    analytics.on('http_response', (response) => (sent[sent.length - 1]!.status = response.status));
    const userId = `user-${uniqueSuffix()}`;
    const renamed = `renamed-${userId}`;
    analytics.group({ userId, groupId: input.customerId, traits: { name: input.name } });
    analytics.track({ userId, event: 'Report Exported', properties: { feature: 'reports' }, messageId: `track-${userId}` });
    analytics.page({
      userId,
      category: 'Docs',
      name: 'Getting Started',
      properties: { feature: 'docs', url: 'https://app.example/docs' },
      messageId: `page-${userId}`,
    });
    analytics.screen({ userId, name: 'Dashboard', properties: { feature: 'mobile_dashboard' }, messageId: `screen-${userId}` });
    analytics.alias({ userId: renamed, previousId: userId, messageId: `alias-${userId}` });
    analytics.track({ userId: renamed, event: 'Logged In', messageId: `after-alias-${userId}` });
    await analytics.closeAndFlush({ timeout: 15_000 });

    expect(sent).toEqual([{ types: ['group', 'track', 'page', 'screen', 'alias', 'track'], status: 200 }]);
    const rows = await database.prisma.ingestedEvent.findMany({
      where: { customerId: input.customerId, source: 'segment' },
      orderBy: { idempotencyKey: 'asc' },
    });
    expect(rows.map((r) => [r.idempotencyKey, r.type])).toEqual([
      [`segment:after-alias-${userId}`, 'usage'],
      [`segment:page-${userId}`, 'usage'],
      [`segment:screen-${userId}`, 'usage'],
      [`segment:track-${userId}`, 'usage'],
    ]);
    expect(rows.every((r) => r.deliveredAt !== null)).toBe(true);
    const handle = env.client.workflow.getHandle(customerWorkflowId(input.customerId));
    const state = await until('the workflow to apply the page and screen views', async () => {
      const current = await handle.query(getCarriedStateQuery);
      return current.facts.keyFeaturesUsed.includes('mobile_dashboard') && current.facts.lastLoginAt !== undefined && current;
    });
    expect(state.facts.keyFeaturesUsed).toEqual(expect.arrayContaining(['reports', 'docs', 'mobile_dashboard']));
    expect(await database.prisma.segmentIdentity.findUnique({ where: { userId: renamed } })).toMatchObject({ customerId: input.customerId });
  });

  it("takes the HTTP Tracking API's single calls, whose body has no type: the route says which call it is", async () => {
    const input = await newCustomer();
    const userId = `http-${uniqueSuffix()}`;
    expect(await post('group', { userId, groupId: input.customerId, messageId: `group-${userId}` })).toMatchObject({ status: 200 });
    expect(await post('identify', { userId, traits: { email: 'ana@acme.example' }, messageId: `identify-${userId}` })).toMatchObject({ status: 200 });
    expect(await post('track', { userId, event: 'Logged In', messageId: `track-${userId}` })).toMatchObject({ status: 200, body: { accepted: 1 } });
    expect(await post('page', { userId, name: 'Pricing', messageId: `page-${userId}` })).toMatchObject({ status: 200, body: { accepted: 1 } });
    expect(await post('screen', { userId, name: 'Home', messageId: `screen-${userId}` })).toMatchObject({ status: 200, body: { accepted: 1 } });
    const rows = await database.prisma.ingestedEvent.findMany({
      where: { customerId: input.customerId, source: 'segment' },
      orderBy: { idempotencyKey: 'asc' },
    });
    expect(rows.map((r) => [r.idempotencyKey, r.type])).toEqual([
      [`segment:page-${userId}`, 'usage'],
      [`segment:screen-${userId}`, 'usage'],
      [`segment:track-${userId}`, 'usage'],
    ]);
    // A type that contradicts the route is an error, not a silent reinterpretation.
    const wrong = await post('track', { type: 'page', userId, name: 'Pricing', messageId: `wrong-${userId}` });
    expect(wrong.status).toBe(422);
    expect(wrong.body.issues.map((i: { path: string }) => i.path)).toContain('type');
  });

  it('ties an aliased user to the customer of the id it replaces, so parked and later tracks of either id arrive', async () => {
    const input = await newCustomer();
    const anonymous = `anon-${uniqueSuffix()}`;
    const userId = `signed-up-${uniqueSuffix()}`;
    // Browsing before sign-up, then the alias, both before any call names the customer: both kept.
    const browsing = await post('track', {
      anonymousId: anonymous,
      event: 'Milestone Reached',
      properties: { milestone: 'setup_done' },
      messageId: `browse-${anonymous}`,
    });
    expect(browsing).toMatchObject({ status: 200, body: { parked: [{ messageId: `browse-${anonymous}`, userId: anonymous }] } });
    const early = await post('alias', { userId, previousId: anonymous, messageId: `alias-${anonymous}` });
    expect(early).toMatchObject({ status: 200, body: { accepted: 0, parked: [{ messageId: `alias-${anonymous}`, userId }] } });

    // The group call ties the new id; the alias then ties the old one, and its parked track arrives.
    expect(await post('group', { userId, groupId: input.customerId, messageId: `group-${userId}` })).toMatchObject({
      status: 200,
      body: { accepted: 1, parked: [] },
    });
    expect(await database.prisma.ingestedEvent.findFirstOrThrow({ where: { idempotencyKey: `segment:browse-${anonymous}` } })).toMatchObject({
      customerId: input.customerId,
      type: 'milestone',
    });
    expect(await database.prisma.segmentIdentity.findUnique({ where: { userId: anonymous } })).toMatchObject({ customerId: input.customerId });
    expect(await database.prisma.segmentParkedMessage.count({ where: { userId: { in: [anonymous, userId] } } })).toBe(0);

    // An alias from a tied id to a new one: the new id's parked track arrives, and so do later ones.
    const second = `second-${uniqueSuffix()}`;
    expect(await post('track', { userId: second, event: 'Logged In', messageId: `first-${second}` })).toMatchObject({
      status: 200,
      body: { parked: [{ userId: second }] },
    });
    expect(await post('alias', { userId: second, previousId: userId, messageId: `alias-${second}` })).toMatchObject({
      status: 200,
      body: { accepted: 1, parked: [] },
    });
    expect(await post('track', { userId: second, event: 'Logged In', messageId: `later-${second}` })).toMatchObject({
      status: 200,
      body: { accepted: 1, parked: [] },
    });
    const rows = await database.prisma.ingestedEvent.findMany({ where: { idempotencyKey: { in: [`segment:first-${second}`, `segment:later-${second}`] } } });
    expect(rows.map((r) => r.customerId)).toEqual([input.customerId, input.customerId]);
  });

  it('skips only the messages of a batch that are of an unknown type or invalid, naming batch.N.field', async () => {
    const input = await newCustomer();
    const properties = { customerId: input.customerId };
    const id = (name: string) => `${name}-${input.customerId}`;
    const answer = await post('batch', {
      batch: [
        { type: 'track', userId: 'u', event: 'Logged In', properties, messageId: id('first') },
        { type: 'page_view', userId: 'u', messageId: id('odd-type') },
        { type: 'track', userId: 'u', properties, messageId: id('no-event') },
        { userId: 'u', event: 'Logged In', properties, messageId: id('no-type') },
        'not even an object',
        { type: 'track', userId: 'u', event: 'Logged In', properties, messageId: id('last') },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ accepted: 2 });
    expect(answer.body.skipped).toEqual([
      { messageId: id('odd-type'), reason: expect.stringContaining('batch.1.type') },
      { messageId: id('no-event'), reason: expect.stringContaining('batch.2.event') },
      { messageId: id('no-type'), reason: expect.stringContaining('batch.3.type') },
      { reason: expect.stringContaining('batch.4') },
    ]);
    expect(await database.prisma.ingestedEvent.count({ where: { idempotencyKey: { in: [`segment:${id('first')}`, `segment:${id('last')}`] } } })).toBe(2);

    // A body that is not a batch at all is still refused whole.
    for (const body of [{}, { batch: 'track' }, { batch: [] }]) {
      const refused = await post('batch', body);
      expect(refused.status).toBe(422);
      expect(refused.body.issues.map((i: { path: string }) => i.path)).toContain('batch');
    }
  });

  it('answers a track nested 100,000 deep from an untied user with the field, and skips only it in a batch', async () => {
    const input = await newCustomer();
    const userId = `deep-${uniqueSuffix()}`;
    const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const single = await postRaw('track', `{"type":"track","userId":"${userId}","event":"Deep","messageId":"deep-${userId}","properties":${deep}}`);
    expect(single.status).toBe(422);
    expect(single.body.issues[0].path).toMatch(/^properties(\.a)+$/);
    expect(single.body.issues[0].message).toContain('deeper than');

    const good = JSON.stringify({ type: 'track', userId, event: 'Logged In', properties: { customerId: input.customerId }, messageId: `good-${userId}` });
    const batch = await postRaw(
      'batch',
      `{"batch":[{"type":"track","userId":"${userId}","event":"Deep","messageId":"deep-${userId}","properties":${deep}},${good}]}`,
    );
    expect(batch).toMatchObject({
      status: 200,
      body: {
        accepted: 1,
        parked: [],
        skipped: [{ messageId: `deep-${userId}`, reason: expect.stringMatching(/^batch\.0\.properties(\.a)+: .*deeper than/) }],
      },
    });
    expect(await database.prisma.segmentParkedMessage.count({ where: { userId } })).toBe(0);
  });

  const untied = () => `untied-${uniqueSuffix()}`;
  const track = (extra: Record<string, unknown>) => ({ type: 'track', userId: untied(), event: 'Report Exported', messageId: `m-${uniqueSuffix()}`, ...extra });
  it.each([
    ['a NUL in the userId', 'track', track({ userId: 'a\u0000b' }), 'userId'],
    ['a lone surrogate in the anonymousId', 'page', { type: 'page', anonymousId: 'a\ud800', name: 'Home', messageId: 'lone-anon' }, 'anonymousId'],
    ['a lone surrogate in the event name', 'track', track({ event: 'Exported \ud800' }), 'event'],
    ['a NUL in a property value', 'track', track({ properties: { note: 'x\u0000y' } }), 'properties.note'],
    ['a lone surrogate in a property name', 'track', track({ properties: { ['\udc00key']: 1 } }), 'properties.\udc00key'],
    [
      'a NUL in a nested context value',
      'screen',
      { type: 'screen', userId: untied(), name: 'Home', context: { device: { model: '\u0000' } } },
      'context.device.model',
    ],
    ['a NUL in the groupId', 'group', { type: 'group', userId: untied(), groupId: 'acme\u0000' }, 'groupId'],
    ['a NUL in a group trait', 'group', { type: 'group', userId: untied(), groupId: 'acme', traits: { name: 'Acme\u0000' } }, 'traits.name'],
    ['a lone surrogate in an alias previousId', 'alias', { type: 'alias', userId: untied(), previousId: '\ud83d' }, 'previousId'],
    ['a messageId longer than 192 characters', 'track', track({ messageId: 'm'.repeat(193) }), 'messageId'],
    ['an event name longer than 200 characters', 'track', track({ event: 'E'.repeat(201) }), 'event'],
    ['a userId longer than 256 characters', 'track', track({ userId: 'u'.repeat(257) }), 'userId'],
    ['a property string longer than 8,192 characters', 'track', track({ properties: { note: 'x'.repeat(8193) } }), 'properties.note'],
    [
      'more than 32 KiB of properties',
      'track',
      track({ properties: Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`note${n}`, 'x'.repeat(8000)])) }),
      'properties',
    ],
    ['more than 200 properties', 'track', track({ properties: Object.fromEntries(Array.from({ length: 201 }, (_, n) => [`p${n}`, n])) }), 'properties'],
    ['an array property of more than 500 items', 'track', track({ properties: { list: Array.from({ length: 501 }, (_, n) => n) } }), 'properties.list'],
    [
      'properties nested 11 levels deep',
      'track',
      track({ properties: JSON.parse('{"a":'.repeat(11) + '1' + '}'.repeat(11)) }),
      'properties.a.a.a.a.a.a.a.a.a.a',
    ],
  ])('answers %s with a 422 naming the field', async (_what, kind, body, field) => {
    const answer = await post(kind, body);
    expect(answer.status).toBe(422);
    expect(answer.body.issues.map((i: { path: string }) => i.path)).toContain(field);
  });

  it('reports a parked message the current schema cannot read, instead of failing the call that ties its user', async () => {
    const input = await newCustomer();
    const userId = `old-${uniqueSuffix()}`;
    // As an older version might have kept it: a shape today's schema refuses.
    await database.prisma.segmentParkedMessage.create({
      data: { messageId: `old-${userId}`, userId, message: { type: 'track', userId, messageId: `old-${userId}` } },
    });
    const tied = await post('group', { type: 'group', userId, groupId: input.customerId, messageId: `group-${userId}` });
    expect(tied).toMatchObject({ status: 200, body: { accepted: 0, skipped: [{ messageId: `old-${userId}`, reason: expect.stringContaining('event') }] } });
    expect(await database.prisma.segmentParkedMessage.count({ where: { userId } })).toBe(0);
  });

  it('documents every Segment call and its bounds in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${api.url}/v1/openapi.json`)).json()) as { paths: Record<string, any>; components?: { schemas?: Record<string, any> } };
    const bodyOf = (kind: string) => {
      const schema = doc.paths[`/v1/segment/${kind}`]?.post?.requestBody?.content?.['application/json']?.schema;
      return schema?.$ref ? doc.components!.schemas![schema.$ref.split('/').pop()!] : schema;
    };
    for (const kind of ['batch', 'track', 'identify', 'group', 'page', 'screen', 'alias']) expect(bodyOf(kind)).toBeDefined();
    const trackBody = bodyOf('track');
    expect(trackBody.properties.messageId.maxLength).toBe(192);
    expect(trackBody.properties.event.maxLength).toBe(200);
    expect(trackBody.properties.properties.description).toMatch(/32 KiB/);
    expect(bodyOf('alias').properties.previousId).toBeDefined();
    expect(bodyOf('batch').properties.batch.maxItems).toBe(1000);
  });
});
