/**
 * CloudEvents 1.0 sent by a client this project did not write — the CloudEvents JavaScript SDK
 * (`HTTP.structured`, `HTTP.binary`) and a batch built as the spec's JSON batch format says — to
 * `POST /v1/cloudevents` of the API process, against the dev server, a worker and PostgreSQL. Each
 * event takes the path of `POST /v1/events`: recorded once under its id, delivered, on the
 * customer's timeline once; what is not a CloudEvent the engine takes is refused naming the
 * attribute, and nothing is recorded.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CloudEvent, HTTP, type Message } from 'cloudevents';
import { createApiKey } from '../../src/api/api-keys';
import type { Database } from '../../src/db/database';
import { customerWorkflowId } from '../../src/domain/ids';
import { createCustomer } from '../../src/ingest/create-customer';
import { getCarriedStateQuery } from '../../workflows/messages';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { handoff } from '../support/customers';
import { uniqueSuffix } from '../support/servers';
import { until } from '../support/until';

const TYPE_MAP = { 'com.acme.login': 'usage', 'com.acme.survey.answered': 'survey' };

describe('CloudEvents intake (the cloudevents SDK against the API)', () => {
  let stack: ApiStack;
  let env: TestWorkflowEnvironment;
  let database: Database;
  let api: ApiStack['api'];
  let key: string;
  let readOnlyKey: string;
  let taskQueue: string;

  beforeAll(async () => {
    stack = await startApiStack('cloudevents', { cloudEventTypeMap: JSON.stringify(TYPE_MAP) });
    ({ env, database, api, taskQueue } = stack);
    key = await createApiKey(database.prisma, 'cloudevents-source', ['events:write']);
    readOnlyKey = await createApiKey(database.prisma, 'cloudevents-reader', ['read']);
  });
  afterAll(() => stack?.stop());

  async function newCustomer(): Promise<string> {
    const input = handoff({ startAt: Date.now(), name: `CloudEvents ${uniqueSuffix()}` });
    await createCustomer({ prisma: database.prisma, client: env.client, taskQueue }, input);
    return input.customerId;
  }
  type Answer = { status: number; body: Record<string, any> };
  const send = (message: { headers: Record<string, unknown>; body: unknown }, auth: string = key): Promise<Answer> =>
    fetch(`${api.url}/v1/cloudevents`, {
      method: 'POST',
      headers: { ...(message.headers as Record<string, string>), authorization: `Bearer ${auth}` },
      body: message.body as string,
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, any> }));
  /** The spec's JSON batch format: an array of events in the JSON event format. */
  const batch = (events: CloudEvent<unknown>[]): Message => ({
    headers: { 'content-type': 'application/cloudevents-batch+json; charset=utf-8' },
    body: JSON.stringify(events),
  });
  const event = (customerId: string, type: string, data: Record<string, unknown>, id = `ce-${uniqueSuffix()}`) =>
    new CloudEvent({ specversion: '1.0', id, source: '/tests/cloudevents', type, subject: customerId, time: new Date().toISOString(), data });
  const rowsOf = (customerId: string) =>
    database.prisma.ingestedEvent.findMany({
      where: { customerId },
      orderBy: { idempotencyKey: 'asc' },
      select: { idempotencyKey: true, type: true, source: true, payload: true, deliveredAt: true },
    });
  const carried = (customerId: string) => env.client.workflow.getHandle(customerWorkflowId(customerId)).query(getCarriedStateQuery);

  it('takes a structured-mode event once: a repeated id is a duplicate, applied and on the timeline once', async () => {
    const customerId = await newCustomer();
    const setup = event(customerId, 'com.cs-lifecycle.milestone', { milestone: 'setup_done' });
    const message = HTTP.structured(setup);
    expect(message.headers).toMatchObject({ 'content-type': expect.stringMatching(/^application\/cloudevents\+json/) });
    expect(await send(message)).toEqual({ status: 202, body: { id: setup.id, customerId, status: 'accepted' } });
    expect(await send(message)).toEqual({ status: 202, body: { id: setup.id, customerId, status: 'duplicate' } });
    // The same id in binary mode is the same event too.
    expect(await send(HTTP.binary(setup))).toEqual({ status: 202, body: { id: setup.id, customerId, status: 'duplicate' } });

    const rows = await rowsOf(customerId);
    expect(rows).toEqual([
      {
        idempotencyKey: setup.id,
        type: 'milestone',
        source: 'cloudevents',
        payload: { id: setup.id, type: 'milestone', milestone: 'setup_done', occurredAt: setup.time },
        deliveredAt: expect.any(Date),
      },
    ]);
    await until('the workflow to apply setup_done', async () => (await carried(customerId)).facts.milestones.setup_done !== undefined);
    const timeline = async () => {
      const answer = await fetch(`${api.url}/v1/customers/${customerId}/timeline`, { headers: { authorization: `Bearer ${readOnlyKey}` } });
      expect(answer.status).toBe(200);
      return ((await answer.json()) as { entries: { kind: string; causeId: string | null }[] }).entries.filter(
        (e) => e.kind === 'event' && e.causeId === setup.id,
      );
    };
    await until('the event to reach the timeline', async () => (await timeline()).length > 0);
    // Sent three times; one entry, also after the workflow has had time to write a second.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await timeline()).toHaveLength(1);
  });

  it('takes a binary-mode event of a custom type from CLOUDEVENTS_TYPE_MAP', async () => {
    const customerId = await newCustomer();
    const login = event(customerId, 'com.acme.login', { logins: 3, keyFeaturesUsed: ['reports'] });
    const message = HTTP.binary(login);
    expect(message.headers).toMatchObject({ 'ce-type': 'com.acme.login', 'ce-subject': customerId, 'ce-specversion': '1.0' });
    expect(await send(message)).toEqual({ status: 202, body: { id: login.id, customerId, status: 'accepted' } });
    expect(await rowsOf(customerId)).toEqual([
      expect.objectContaining({
        idempotencyKey: login.id,
        type: 'usage',
        payload: expect.objectContaining({ logins: 3, keyFeaturesUsed: ['reports'], occurredAt: login.time }),
      }),
    ]);
    const state = await until('the workflow to apply the login', async () => {
      const current = await carried(customerId);
      return current.facts.keyFeaturesUsed.includes('reports') && current;
    });
    expect(Object.values(state.facts.dailyLogins).reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('takes a batch whole, answering each event in order, and a repeated batch as duplicates', async () => {
    const customerId = await newCustomer();
    const first = event(customerId, 'com.cs-lifecycle.milestone', { milestone: 'kickoff_held' });
    const events = [
      first,
      event(customerId, 'com.acme.survey.answered', { survey: 'nps', score: 9, respondent: 'Priya' }),
      event(customerId, 'com.cs-lifecycle.ticket', { ticketId: 'T-1', action: 'opened', severity: 'low', subject: 'SSO question' }),
    ];
    const answer = await send(batch(events));
    expect(answer).toEqual({ status: 202, body: { results: events.map((e) => ({ id: e.id, customerId, status: 'accepted' })) } });
    const again = [...events, event(customerId, 'com.cs-lifecycle.payment', { status: 'late' })];
    expect(await send(batch(again))).toEqual({
      status: 202,
      body: { results: again.map((e, i) => ({ id: e.id, customerId, status: i < 3 ? 'duplicate' : 'accepted' })) },
    });
    expect((await rowsOf(customerId)).map((r) => r.type).sort()).toEqual(['milestone', 'payment', 'survey', 'ticket']);
    const state = await until('the workflow to apply the batch', async () => {
      const current = await carried(customerId);
      return current.facts.payment === 'late' && current;
    });
    expect(state.facts.milestones.kickoff_held).toBe(first.time);
    expect(state.facts.surveys.nps?.score).toBe(9);
    expect(Object.keys(state.facts.openTickets)).toEqual(['T-1']);
    // An empty batch is a valid one (the spec allows it) and records nothing.
    expect(await send(batch([]))).toEqual({ status: 202, body: { results: [] } });
  });

  describe('refuses what it cannot take, naming what is wrong, and records nothing', () => {
    let customerId: string;
    beforeAll(async () => {
      customerId = await newCustomer();
    });
    const structured = (attributes: Record<string, unknown>) => ({
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(attributes),
    });
    const valid = (id: string) => ({
      specversion: '1.0',
      id,
      source: '/tests',
      type: 'com.cs-lifecycle.milestone',
      subject: customerId,
      time: new Date().toISOString(),
      data: { milestone: 'setup_done' },
    });
    const without = (id: string, attribute: string) => {
      const attributes: Record<string, unknown> = valid(id);
      delete attributes[attribute];
      return attributes;
    };
    const binaryHeaders = (id: string) => ({
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/tests',
      'ce-type': 'com.cs-lifecycle.milestone',
      'ce-subject': customerId,
      'ce-time': new Date().toISOString(),
    });

    it.each<[string, (id: string) => { headers: Record<string, string>; body: string }, number, RegExp]>([
      [
        'a missing specversion',
        (id) => structured(without(id, 'specversion')),
        400,
        /"path":"specversion","message":"required: this endpoint takes CloudEvents 1.0/,
      ],
      ['another specversion', (id) => structured({ ...valid(id), specversion: '0.3' }), 400, /specversion \\"0.3\\" is not supported/],
      ['a missing id', (id) => structured(without(id, 'id')), 400, /"path":"id","message":"required: the event's id/],
      [
        'an id over 200 characters',
        (id) => structured({ ...valid(id), id: `${id}-${'x'.repeat(200)}` }),
        400,
        /"path":"id","message":"at most 200 characters"/,
      ],
      ['a missing source', (id) => structured(without(id, 'source')), 400, /"path":"source","message":"required/],
      [
        'an unknown type',
        (id) => structured({ ...valid(id), type: 'com.acme.unknown' }),
        400,
        /"path":"type","message":"unknown type \\"com.acme.unknown\\": one of com.cs-lifecycle.usage/,
      ],
      ['a missing subject', (id) => structured(without(id, 'subject')), 400, /"path":"subject","message":"required: the id of the customer/],
      ['a subject that is no customer id', (id) => structured({ ...valid(id), subject: 'acme corp' }), 400, /"path":"subject","message":"letters, digits/],
      ['a missing time', (id) => structured(without(id, 'time')), 400, /"path":"time","message":"required: when the event occurred/],
      ['a time without a zone', (id) => structured({ ...valid(id), time: '2026-11-24 10:00' }), 400, /"path":"time","message":"must be an RFC 3339 timestamp/],
      ['missing data', (id) => structured(without(id, 'data')), 400, /"path":"data","message":"required: a JSON object/],
      [
        'data that is not an object',
        (id) => structured({ ...valid(id), data: ['setup_done'] }),
        400,
        /"path":"data","message":"must be a JSON object with the event's fields, not an array"/,
      ],
      [
        'data as data_base64',
        (id) => structured({ ...without(id, 'data'), data_base64: 'e30=' }),
        400,
        /"path":"data_base64","message":"not accepted: send data as a JSON object"/,
      ],
      [
        'a field the attributes give, in data',
        (id) => structured({ ...valid(id), data: { milestone: 'setup_done', customerId } }),
        400,
        /"path":"data.customerId","message":"not part of data: the CloudEvent's subject/,
      ],
      [
        'data of another media type',
        (id) => structured({ ...valid(id), datacontenttype: 'text/plain' }),
        400,
        /"path":"datacontenttype","message":"must be a JSON media type/,
      ],
      [
        'an extension attribute not named as the spec says',
        (id) => structured({ ...valid(id), customerId }),
        400,
        /"path":"customerId","message":"not a CloudEvents attribute name.*the customer id goes in subject/,
      ],
      ['an extension value over 500 characters', (id) => structured({ ...valid(id), traceparent: 'x'.repeat(501) }), 400, /"path":"traceparent"/],
      [
        'a structured event that is an array',
        (id) => structured([valid(id)] as never),
        400,
        /"path":"\(body\)","message":"a structured-mode CloudEvent is a JSON object; send an array as application\/cloudevents-batch\+json/,
      ],
      [
        'a batch that is not an array',
        (id) => ({ headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(valid(id)) }),
        400,
        /a CloudEvents batch is a JSON array/,
      ],
      [
        'a batch over 500 events',
        (id) => ({
          headers: { 'content-type': 'application/cloudevents-batch+json' },
          body: JSON.stringify(Array.from({ length: 501 }, (_, i) => valid(`${id}-${i}`))),
        }),
        400,
        /at most 500 events in a batch \(this one has 501\)/,
      ],
      [
        'a batch with one bad event (named by its index)',
        (id) => ({ headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify([valid(id), without(`${id}-2`, 'subject')]) }),
        400,
        /"path":"1.subject"/,
      ],
      [
        'a batch repeating an id',
        (id) => ({ headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify([valid(id), valid(id)]) }),
        422,
        /"path":"1.id","message":"event id .* appears twice/,
      ],
      [
        'a data field of the wrong type',
        (id) => structured({ ...valid(id), type: 'com.cs-lifecycle.usage', data: { logins: 'many' } }),
        422,
        /"path":"data.logins"/,
      ],
      [
        'a data field the event type does not have',
        (id) => structured({ ...valid(id), data: { milestone: 'setup_done', mood: 'great' } }),
        422,
        /"path":"data","message":"Unrecognized key: \\"mood\\""/,
      ],
      [
        'a time more than a day ahead',
        (id) => structured({ ...valid(id), time: new Date(Date.now() + 3 * 86_400_000).toISOString() }),
        422,
        /"path":"time","message":"must not be more than a day in the future"/,
      ],
      [
        'a time years before the contract',
        (id) => structured({ ...valid(id), time: '2001-01-01T00:00:00Z' }),
        422,
        /"path":"time","message":"must not be more than a year before the contract start/,
      ],
      [
        'binary mode without ce-specversion',
        (id) => ({ headers: { ...binaryHeaders(id), 'ce-specversion': undefined as never }, body: '{"milestone":"setup_done"}' }),
        400,
        /"path":"ce-specversion","message":"required/,
      ],
      [
        'binary mode with an unknown type',
        (id) => ({ headers: { ...binaryHeaders(id), 'ce-type': 'com.acme.unknown' }, body: '{"milestone":"setup_done"}' }),
        400,
        /"path":"ce-type","message":"unknown type/,
      ],
      ['binary mode without data', (id) => ({ headers: binaryHeaders(id), body: '' }), 400, /"path":"data","message":"required/],
      [
        'binary mode with data that is not an object',
        (id) => ({ headers: binaryHeaders(id), body: '"setup_done"' }),
        400,
        /"path":"data","message":"must be a JSON object with the event's fields, not string"/,
      ],
      [
        'binary mode with a bad percent-encoding',
        (id) => ({ headers: { ...binaryHeaders(id), 'ce-source': '/tests/100%' }, body: '{"milestone":"setup_done"}' }),
        400,
        /"path":"ce-source","message":"not percent-encoded/,
      ],
      [
        'binary mode with data that is not JSON',
        (id) => ({ headers: { ...binaryHeaders(id), 'content-type': 'text/plain' }, body: 'setup_done' }),
        415,
        /the body is the event's data and must be JSON/,
      ],
      ['binary mode with a body that does not parse', (id) => ({ headers: binaryHeaders(id), body: '{"milestone": ' }), 400, /malformed_json/],
      [
        'a body with no CloudEvent at all',
        () => ({ headers: { 'content-type': 'application/json' }, body: '{"milestone":"setup_done"}' }),
        415,
        /not a CloudEvent: send application\/cloudevents\+json/,
      ],
      [
        'another event format',
        () => ({ headers: { 'content-type': 'application/cloudevents+xml' }, body: '<event/>' }),
        415,
        /application\/cloudevents\+xml is not read here/,
      ],
      [
        'a structured event that does not parse',
        () => ({ headers: { 'content-type': 'application/cloudevents+json' }, body: '{"specversion": ' }),
        400,
        /malformed_json/,
      ],
    ])('%s', async (_name, message, status, pattern) => {
      const id = `bad-${uniqueSuffix()}`;
      const built = message(id);
      const headers = Object.fromEntries(Object.entries(built.headers).filter(([, v]) => v !== undefined));
      const answer = await send({ headers, body: built.body });
      expect(answer.status).toBe(status);
      expect(JSON.stringify(answer.body)).toMatch(pattern);
      expect(answer.body.message).toEqual(expect.any(String));
      expect(await database.prisma.ingestedEvent.count({ where: { idempotencyKey: { startsWith: id } } })).toBe(0);
    });

    it('refuses an unknown customer (404) and an id reused for another event (409)', async () => {
      const unknown = await send(HTTP.structured(event('nobody-here', 'com.cs-lifecycle.milestone', { milestone: 'setup_done' })));
      expect(unknown).toMatchObject({ status: 404, body: { error: 'unknown_customer', details: { customerIds: ['nobody-here'] } } });
      const id = `reuse-${uniqueSuffix()}`;
      expect((await send(HTTP.structured(event(customerId, 'com.cs-lifecycle.milestone', { milestone: 'kickoff_held' }, id)))).status).toBe(202);
      const reused = await send(HTTP.binary(event(customerId, 'com.cs-lifecycle.milestone', { milestone: 'training_done' }, id)));
      expect(reused).toMatchObject({ status: 409, body: { error: 'idempotency_key_reused', issues: [{ path: 'ce-id' }] } });
    });

    it('needs an API key with events:write, checked before the body is read', async () => {
      const message = HTTP.structured(event(customerId, 'com.cs-lifecycle.milestone', { milestone: 'setup_done' }));
      expect((await send(message, 'csk_not-a-key')).status).toBe(401);
      expect(await send(message, readOnlyKey)).toMatchObject({ status: 403, body: { error: 'missing_scope' } });
    });

    it('holds the body limit of the other routes', async () => {
      const big = { ...valid(`big-${uniqueSuffix()}`), padding: 'x'.repeat(1024 * 1024) };
      expect(await send(structured(big))).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    });
  });

  it('is described in the OpenAPI document in its three modes', async () => {
    const doc = (await (await fetch(`${api.url}/v1/openapi.json`)).json()) as Record<string, any>;
    const route = doc.paths['/v1/cloudevents'].post;
    expect(Object.keys(route.requestBody.content).sort()).toEqual(['application/cloudevents+json', 'application/cloudevents-batch+json', 'application/json']);
    expect(route.requestBody.content['application/cloudevents-batch+json'].schema).toMatchObject({ maxItems: 500 });
    expect(route.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['ce-specversion', 'ce-id', 'ce-type', 'ce-subject', 'ce-time']),
    );
    const { CloudEvent, CloudEventUsageData } = doc.components.schemas;
    expect(CloudEvent.required).toEqual(expect.arrayContaining(['specversion', 'id', 'source', 'type', 'subject', 'time', 'data']));
    expect(CloudEvent.properties.id).toMatchObject({ maxLength: 200 });
    expect(Object.keys(CloudEventUsageData.properties)).not.toEqual(expect.arrayContaining(['id']));
    expect(CloudEventUsageData.properties.keyFeaturesUsed).toMatchObject({ maxItems: 200 });
  });
});
