/**
 * The HTTP API: how systems send customer events and how CS leads and ops read customers and
 * tasks. Hono with zod-validated routes that also serve the OpenAPI document (`/v1/openapi.json`).
 * Every route but `/healthz` and the document needs an API key (`Authorization: Bearer csk_…`);
 * event routes also accept a body signed with the ingest secret (`x-cs-signature`), for webhook
 * senders that cannot hold a key. Errors are mapped to HTTP in one place and name the field.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { routePath } from 'hono/route';
import { ZCustomerEventWithCustomer, ZCustomerHandoff, ZCustomerId, type TCustomerEvent } from '../domain/customer-events';
import { ZSuccessPlan, type TSuccessPlan } from '../domain/success-plan';
import { customerWorkflowId, LIFECYCLE_TASK_QUEUE } from '../domain/ids';
import type { PrismaClient } from '../generated/prisma/client';
import { acceptEvents, CustomerSignals, SharedEventLog, DeliveredMarks, type IncomingEvent } from '../ingest/accept-events';
import { DEFAULT_LIFECYCLE } from '../domain/default-lifecycle';
import { ZCustomerView } from '../domain/customer-view-schema';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import { portfolioReport } from '../metrics/portfolio-report';
import { createPages } from '../pages/routes';
import { sharedPlanPage, wantsHtml } from '../pages/shared-plan';
import { createCustomer } from '../ingest/create-customer';
import { newShareToken } from '../ingest/share-token';
import {
  forgetParked,
  fromSegment,
  SEGMENT_SINGLE_CALLS,
  ZSegmentBatch,
  type SegmentSkip,
  type TSegmentCallType,
  type TSegmentMessage,
} from '../ingest/segment';
import {
  CLOUDEVENT_LIMITS,
  CLOUDEVENTS_BATCH_CONTENT_TYPE,
  CLOUDEVENTS_CONTENT_TYPE,
  cloudEventDataSchemas,
  readCloudEvents,
  ZCloudEventAttributes,
} from '../ingest/cloudevents';
import { CLOUDEVENT_TYPE_PREFIX, cloudEventTypes, DEFAULT_CLOUDEVENT_TYPES, type TCloudEventTypeMap } from '../ingest/cloudevent-types';
import { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from '../webhooks/signature';
import { CUSTOMER_STARTING, getStateQuery } from '../../workflows/messages';
import { API_KEY_CACHE_MS, API_KEY_NAME, API_SCOPES, ApiKeyCache, createApiKey, DEFAULT_API_SCOPES, revokeApiKey, type ApiScope } from './api-keys';
import { ApiError, isApiError } from './errors';
import { createCodecApp, webUiOrigins } from './codec-endpoint';
import { boundedText, LIMITS } from '../domain/bounds';
import { AvailabilityLog, isDatabaseUnavailable, isTemporalUnavailable } from '../util/availability';
import type { Logger } from '../ops/logger';
import { ApiMetrics } from '../ops/metrics';
import { readiness, type ReadinessCheck } from '../ops/ops-server';

export interface ApiDeps {
  prisma: PrismaClient;
  client: Client;
  taskQueue?: string;
  /** Webhook senders may sign event bodies with this instead of presenting an API key. */
  ingestSecret?: string;
  /** Largest accepted body; larger answers 413 before anything is read. */
  maxBodyBytes?: number;
  /** `USAGE_ROLLUP_SECONDS`: above 0, usage events are recorded for the rollup, not signalled one by one. */
  usageRollupSeconds?: number;
  /** The ops' own CloudEvents types (`CLOUDEVENTS_TYPE_MAP`), beside the built-in `com.cs-lifecycle.*`. */
  cloudEventTypes?: TCloudEventTypeMap;
  /** For each segment's CSM ratio in the books of business; the built-in default when unset. */
  definition?: TLifecycleDefinition;
  /** Logs PostgreSQL or Temporal going away and coming back, once each; stderr by default. */
  availability?: AvailabilityLog;
  /** The Temporal Web UI, for the pages' link to each customer's workflow (none when unset). */
  temporalUiUrl?: string;
  namespace?: string;
  /** Request counts, latencies and event outcomes; a private registry when unset. */
  metrics?: ApiMetrics;
  /** One JSON line per request (request id, route, status, customer); none when unset. */
  logger?: Logger;
  /** What `/readyz` asks (PostgreSQL, Temporal); always ready when unset. */
  readinessChecks?: Record<string, ReadinessCheck>;
}

type Env = { Variables: { scopes: string[]; caller: string; requestId: string } };

/** The routes whose bodies are customer events: a refused request there counts as rejected events. */
const EVENT_ROUTE = /^\/v1\/(events|segment|cloudevents)\b/;

/** An event as systems send it: the customer it belongs to, and the event (its `id` is the idempotency key). */
const ZApiEvent = ZCustomerEventWithCustomer.openapi('CustomerEvent', {
  description:
    'A customer event with `customerId`; `id` is the idempotency key, scoped to the customer. Told apart by `type`; see the event types in src/domain/customer-events.ts.',
  example: { customerId: 'acme', id: 'nps-2026-11-acme-7', type: 'survey', survey: 'nps', score: 9, occurredAt: '2026-11-24T10:00:00Z' },
});
const asIncoming = (value: z.infer<typeof ZApiEvent>): IncomingEvent => {
  const { customerId, ...event } = value;
  return { customerId, event: event as TCustomerEvent };
};
/** Up to 500 events, each id once: a repeat inside one request names the second one's path. */
const ZEventBatch = z.object({ events: z.array(ZApiEvent).min(1).max(500) }).superRefine((batch, ctx) => {
  const first = new Map<string, number>();
  batch.events.forEach((event, index) => {
    const seen = first.get(event.id);
    if (seen === undefined) first.set(event.id, index);
    else
      ctx.addIssue({
        code: 'custom',
        path: ['events', index, 'id'],
        message: `event id "${event.id}" appears twice in this request (first at events.${seen})`,
      });
  });
});

const ZEventResult = z.object({ id: z.string(), customerId: z.string(), status: z.enum(['accepted', 'duplicate']) }).openapi('EventResult');
const ZError = z
  .object({
    error: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('Error');

const errorResponses = {
  400: { description: 'Malformed request (not JSON)', content: { 'application/json': { schema: ZError } } },
  401: { description: 'No or unknown API key', content: { 'application/json': { schema: ZError } } },
  403: { description: 'Key revoked or lacking the scope', content: { 'application/json': { schema: ZError } } },
  413: { description: 'Body too large', content: { 'application/json': { schema: ZError } } },
  415: { description: 'Body not sent as application/json', content: { 'application/json': { schema: ZError } } },
  422: { description: 'Invalid body: each issue names its field', content: { 'application/json': { schema: ZError } } },
  503: {
    description:
      'PostgreSQL or Temporal is unreachable (Retry-After); `details.recorded` says whether the events were recorded (then they are delivered later)',
    content: { 'application/json': { schema: ZError } },
  },
} as const;

const ZTimelineEntry = z
  .object({
    occurredAt: z.string(),
    kind: z.string(),
    summary: z.string(),
    causeType: z.string().nullable(),
    causeId: z.string().nullable(),
    definitionVersion: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
  })
  .openapi('TimelineEntry');

/** A timeline page's position: the last entry's time and id, opaque to callers. */
const encodeTimelineCursor = (entry: { occurredAt: Date; id: string }) =>
  Buffer.from(`${entry.occurredAt.toISOString()}|${entry.id}`, 'utf8').toString('base64url');
const ZTimelineCursor = z
  .string()
  .max(200)
  .transform((value, ctx) => {
    const [at, id, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('|');
    if (!at || !id || rest.length > 0 || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/.test(id)) {
      ctx.addIssue({ code: 'custom', message: 'not a cursor this API gave out (use nextCursor from the previous page)' });
      return z.NEVER;
    }
    return { at: new Date(at), id };
  });

/** What a reader is shown of a customer, as its workflow answers it (see src/domain/customer-view.ts). */
const ZApiCustomerView = ZCustomerView.openapi('CustomerView', {
  description:
    'A customer as its workflow sees it now: facts worth showing, stage with days in it and SLA, the exit checklist, ' +
    'health with every dimension and input and the hard conditions that hold, daily scores, the recent timeline, ' +
    'the next timers and the plays. `viewVersion` changes when a field a reader relies on does.',
});

const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/**
 * hono's `bodyLimit`, except that a body whose Content-Length already fits is not looked at here.
 * `bodyLimit` reads `c.req.raw.body` first, which makes `@hono/node-server` build a full web
 * Request and stream around every request's body (a tenth of a single-event request's CPU in the
 * API, `src/bench/RESULTS.md`). Node's parser holds a body to its Content-Length; a chunked body
 * has none and is counted by `bodyLimit` as it streams.
 */
function limitBody<E extends Env>(maxSize: number, onError: (c: Context<E>, maxSize: number) => Response): MiddlewareHandler<E> {
  const streamed = bodyLimit({ maxSize, onError: (c) => onError(c as Context<E>, maxSize) });
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return Number(length) > maxSize ? onError(c, maxSize) : next();
    }
    return streamed(c, next);
  };
}

export function createApiApp(deps: ApiDeps): OpenAPIHono<Env> {
  const { prisma, client } = deps;
  const availability = deps.availability ?? new AvailabilityLog();
  const ingest = {
    prisma,
    client,
    availability,
    rollUpUsage: (deps.usageRollupSeconds ?? 0) > 0,
    deliveredMarks: new DeliveredMarks(prisma),
    signals: new CustomerSignals(client),
    eventLog: new SharedEventLog(prisma),
  };
  const taskQueue = deps.taskQueue ?? LIFECYCLE_TASK_QUEUE;
  const definition = deps.definition ?? DEFAULT_LIFECYCLE;
  const metrics = deps.metrics ?? new ApiMetrics();
  const accept = async (incoming: IncomingEvent[], options?: Parameters<typeof acceptEvents>[2]) => {
    const results = await acceptEvents(ingest, incoming, options);
    for (const result of results) metrics.events.inc({ outcome: result.status === 'duplicate' ? 'duplicate' : 'accepted' });
    return results;
  };
  const app = new OpenAPIHono<Env>({
    // Schema violations: 422 with every issue's path, e.g. "events.3.score".
    defaultHook: (result, c) => {
      if (!result.success) {
        const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
        return c.json({ error: 'invalid_request', message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues }, 422);
      }
    },
  });

  // First: every answer, errors too, is counted, timed and logged with its request id.
  app.use('*', requestId({ limitLength: 100 }));
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.res.status === 404 && routePath(c, -1) === '*' ? '(unmatched)' : routePath(c, -1);
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    const seconds = (performance.now() - started) / 1000;
    metrics.requests.inc(labels);
    metrics.latency.observe(labels, seconds);
    if (c.res.status >= 400 && c.res.status < 500 && c.res.status !== 401 && c.res.status !== 403 && EVENT_ROUTE.test(route))
      metrics.events.inc({ outcome: 'rejected' });
    const customerId = c.req.param('customerId');
    deps.logger?.[c.res.status >= 500 ? 'error' : 'info'](
      {
        requestId: c.get('requestId'),
        ...labels,
        ms: Math.round(seconds * 1000),
        ...(customerId ? { customerId } : {}),
        ...(c.get('caller') ? { caller: c.get('caller') } : {}),
      },
      'request',
    );
  });
  app.use(
    '/v1/*',
    limitBody(deps.maxBodyBytes ?? 1024 * 1024, (c, maxSize) => c.json({ error: 'payload_too_large', message: `body larger than ${maxSize} bytes` }, 413)),
  );
  const apiKeys = new ApiKeyCache(deps.prisma, {
    onLookedUp: () => availability.succeeded('database'),
    bypass: () => availability.isDown('database'),
  });
  app.use('/v1/*', authenticate(deps, availability, apiKeys));
  app.use('/v1/*', rejectInvalidUtf8);

  app.onError((error, c) => {
    if (isApiError(error)) {
      if (error.retryAfterSeconds !== undefined) c.header('Retry-After', String(error.retryAfterSeconds));
      return c.json(
        { error: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}), ...(error.details ? { details: error.details } : {}) },
        error.status,
      );
    }
    if (isDatabaseUnavailable(error)) {
      availability.failed('database', error);
      c.header('Retry-After', '10');
      return c.json(
        { error: 'database_unavailable', message: 'PostgreSQL is unreachable: nothing was recorded or changed; try again', details: { recorded: false } },
        503,
      );
    }
    if (isTemporalUnavailable(error)) {
      availability.failed('temporal', error);
      c.header('Retry-After', '10');
      return c.json({ error: 'temporal_unavailable', message: 'Temporal is unreachable; try again', details: { recorded: false } }, 503);
    }
    const status = (error as { status?: number }).status;
    if (error instanceof SyntaxError || status === 400) {
      return c.json({ error: 'malformed_json', message: 'the body is empty or not valid JSON' }, 400);
    }
    if (status === 415) {
      return c.json({ error: 'unsupported_media_type', message: 'send the body as JSON with Content-Type: application/json' }, 415);
    }
    if (deps.logger) deps.logger.error({ requestId: c.get('requestId'), err: error }, 'unexpected error');
    else console.error('[api] unexpected error', error);
    return c.json(
      {
        error: 'internal',
        message: 'unexpected error; events in this request may or may not be recorded: sending them again is safe (ids are idempotency keys)',
      },
      500,
    );
  });

  app.get('/healthz', (c) => c.json({ ok: true }));
  // The Temporal Web UI's remote codec: the step's deflated write shown as JSON (no key, see there).
  app.route('/codec', createCodecApp({ uiOrigins: webUiOrigins(deps.temporalUiUrl) }));
  // For a load balancer in front of the API: 503 while PostgreSQL or Temporal does not answer.
  // Public: says which dependency is away, not its error (hosts, users); the metrics port has those.
  app.get('/readyz', async (c) => {
    const result = await readiness(deps.readinessChecks ?? {});
    const checks = Object.fromEntries(Object.entries(result.checks).map(([name, outcome]) => [name, outcome === 'ok' ? 'ok' : 'unavailable']));
    return c.json({ ready: result.ready, checks }, result.ready ? 200 : 503);
  });
  // The pages (portfolio, customer, tasks) for people, beside the API and behind the same keys.
  app.route('/', createPages({ prisma, client, definition, temporalUiUrl: deps.temporalUiUrl, namespace: deps.namespace }));

  // ---------------------------------------------------------------------------------------- events
  app.openapi(
    createRoute({
      middleware: [requireScope('events:write')] as const,
      method: 'post',
      path: '/v1/events',
      summary: 'Send one customer event',
      description:
        'Answers 202 once the event is recorded and delivered to the customer workflow. A repeated id answers 202 with status "duplicate" and changes nothing.',
      request: { body: { content: { 'application/json': { schema: ZApiEvent } }, required: true } },
      responses: {
        202: json(ZEventResult, 'Recorded and delivered'),
        404: json(ZError, 'Unknown customer'),
        409: json(ZError, 'Id reused for another event'),
        ...errorResponses,
        503: json(ZError, "The customer's workflow is not running; not acknowledged, send again"),
      },
    }),
    async (c) => {
      const [result] = await accept([asIncoming(c.req.valid('json'))], { pathOf: () => '' });
      return c.json(result!, 202);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('events:write')] as const,
      method: 'post',
      path: '/v1/events/batch',
      summary: 'Send up to 500 customer events at once',
      request: { body: { content: { 'application/json': { schema: ZEventBatch } }, required: true } },
      responses: {
        202: json(z.object({ results: z.array(ZEventResult) }), 'All recorded and delivered'),
        404: json(ZError, 'Unknown customer'),
        409: json(ZError, 'Id reused for another event'),
        ...errorResponses,
        503: json(ZError, "A customer's workflow is not running; nothing acknowledged, send again"),
      },
    }),
    async (c) => {
      const results = await accept(c.req.valid('json').events.map(asIncoming));
      return c.json({ results }, 202);
    },
  );

  // ---------------------------------------------------------------------------------- cloudevents
  // Three content types on one route, each read by src/ingest/cloudevents.ts: the route is
  // declared in the document and handled by hand, as no one zod body schema fits the three.
  const types = cloudEventTypes(deps.cloudEventTypes);
  const ZCloudEventData = z
    .union(
      cloudEventDataSchemas.map(({ type, schema }) =>
        schema.openapi(`CloudEvent${type[0]!.toUpperCase()}${type.slice(1)}Data`, {
          description: `data of a ${type} event (type ${CLOUDEVENT_TYPE_PREFIX}${type}, or one CLOUDEVENTS_TYPE_MAP maps to ${type})`,
        }),
      ),
    )
    .openapi('CloudEventData', { description: 'The fields of the engine event the type maps to, without id, type, occurredAt and customerId' });
  const ZCloudEventDoc = ZCloudEventAttributes.omit({ data_base64: true })
    .extend({ data: ZCloudEventData })
    .openapi('CloudEvent', {
      description:
        'A CloudEvents 1.0 event: `id` is the idempotency key, `subject` the customer id, `time` when it occurred, `type` the engine event type ' +
        `(${Object.keys(DEFAULT_CLOUDEVENT_TYPES).join(', ')}, or one mapped in CLOUDEVENTS_TYPE_MAP), \`data\` the event's fields. ` +
        'Extension attributes are allowed (lower-case letters and digits, a string, integer or boolean) and ignored.',
      example: {
        specversion: '1.0',
        id: 'nps-2026-11-acme-7',
        source: '/surveys',
        type: 'com.cs-lifecycle.survey',
        subject: 'acme',
        time: '2026-11-24T10:00:00Z',
        datacontenttype: 'application/json',
        data: { survey: 'nps', score: 9 },
      },
    });
  const ceHeader = (name: string, description: string) =>
    z
      .string()
      .optional()
      .openapi({ param: { name, in: 'header' }, description: `Binary mode: ${description}` });
  app.openAPIRegistry.registerPath(
    createRoute({
      method: 'post',
      path: '/v1/cloudevents',
      summary: 'Send CloudEvents 1.0: structured, batch (up to 500) or binary mode',
      description:
        `Structured mode: \`Content-Type: ${CLOUDEVENTS_CONTENT_TYPE}\`, the event as the body. Batch mode: \`${CLOUDEVENTS_BATCH_CONTENT_TYPE}\`, ` +
        `a JSON array of up to ${CLOUDEVENT_LIMITS.batchEvents} events, taken whole or not at all. Binary mode: the attributes as \`ce-*\` headers ` +
        '(percent-encoded as the HTTP binding says) and `data` as the body, `Content-Type: application/json`. Each event then goes the way of ' +
        '`POST /v1/events`: 202 once recorded and delivered, a repeated id answers `duplicate` and changes nothing. API keys only: a signed ' +
        "body (x-cs-signature) is not taken here, as binary mode's attributes are headers the signature does not cover.",
      request: {
        headers: z.object({
          'ce-specversion': ceHeader('ce-specversion', '"1.0"'),
          'ce-id': ceHeader('ce-id', `the idempotency key (at most ${CLOUDEVENT_LIMITS.id} characters)`),
          'ce-source': ceHeader('ce-source', 'a URI-reference naming the sender'),
          'ce-type': ceHeader('ce-type', `the event type, e.g. com.cs-lifecycle.usage`),
          'ce-subject': ceHeader('ce-subject', 'the customer id'),
          'ce-time': ceHeader('ce-time', 'when the event occurred (RFC 3339)'),
        }),
        body: {
          required: true,
          content: {
            [CLOUDEVENTS_CONTENT_TYPE]: { schema: ZCloudEventDoc },
            [CLOUDEVENTS_BATCH_CONTENT_TYPE]: { schema: z.array(ZCloudEventDoc).max(CLOUDEVENT_LIMITS.batchEvents) },
            'application/json': { schema: ZCloudEventData },
          },
        },
      },
      responses: {
        202: json(
          z.union([ZEventResult, z.object({ results: z.array(ZEventResult) })]),
          "Recorded and delivered: the event's result (structured and binary mode), or `results` in the batch's order",
        ),
        ...errorResponses,
        400: json(
          ZError,
          'Not JSON, or not a CloudEvent this endpoint takes: missing or wrong specversion, missing id, source, subject or time, unknown type, data not a JSON object, a batch over 500; each issue names the attribute (`type`, `3.subject`, `ce-specversion`)',
        ),
        404: json(ZError, 'Unknown customer (the subject)'),
        409: json(ZError, 'Id reused for another event'),
        415: json(ZError, 'Not the JSON event format, or binary-mode data that is not JSON'),
        422: json(ZError, "The engine's event schema refuses a field: `data.logins`, `time` more than a day ahead"),
        503: json(ZError, "The customer's workflow is not running; not acknowledged, send again"),
      },
    }),
  );
  app.post('/v1/cloudevents', requireScope('events:write'), async (c) => {
    const { mode, events, pathOf } = readCloudEvents({ headers: c.req.raw.headers, body: await c.req.text() }, types);
    const results = events.length > 0 ? await accept(events, { source: 'cloudevents', pathOf, occurredAtField: 'time' }) : [];
    return mode === 'batch' ? c.json({ results }, 202) : c.json(results[0]!, 202);
  });

  // ------------------------------------------------------------------------------------- customers
  app.openapi(
    createRoute({
      middleware: [requireScope('customers:write')] as const,
      method: 'post',
      path: '/v1/customers',
      summary: 'Create a customer from the sales handoff (starts its lifecycle workflow)',
      request: { body: { content: { 'application/json': { schema: ZCustomerHandoff } }, required: true } },
      responses: {
        201: json(z.object({ customerId: z.string(), workflowId: z.string() }), 'Started'),
        409: json(ZError, 'The customer exists'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const handoff = c.req.valid('json');
      const { workflowId } = await createCustomer({ prisma, client, taskQueue }, handoff);
      return c.json({ customerId: handoff.customerId, workflowId }, 201);
    },
  );

  const ZCustomerParam = z.object({ customerId: ZCustomerId });

  app.openapi(
    createRoute({
      middleware: [requireScope('read')] as const,
      method: 'get',
      path: '/v1/customers/{customerId}',
      summary: 'A customer as its workflow sees it now (the customer view)',
      request: { params: ZCustomerParam },
      responses: {
        200: json(ZApiCustomerView, 'The customer view'),
        404: json(ZError, 'Unknown customer'),
        ...errorResponses,
        503: json(
          ZError,
          'The customer was created a moment ago and is still starting, or its worker answered in another shape (during a deploy); Retry-After',
        ),
      },
    }),
    async (c) => {
      const { customerId } = c.req.valid('param');
      let answer: unknown;
      try {
        answer = await client.workflow.getHandle(customerWorkflowId(customerId)).query(getStateQuery);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) throw new ApiError(404, 'unknown_customer', `unknown customer: ${customerId}`);
        // The first moment of a new customer's workflow (it loads its definition): ask again shortly.
        // A query's failure crosses the server as a message only: the constant is the contract.
        if (error instanceof Error && error.message.includes(CUSTOMER_STARTING)) {
          c.header('Retry-After', '1');
          throw new ApiError(503, 'customer_starting', `customer ${customerId} is starting; retry in a second`);
        }
        throw error;
      }
      // The answer is checked like any input: a worker still on code from before the view (a
      // rolling deploy) answers the working state instead, and callers get a retry, not that.
      const view = ZCustomerView.safeParse(answer);
      if (!view.success) {
        throw new ApiError(503, 'customer_view_unavailable', `customer ${customerId}'s workflow answered in a shape this API does not read; retry shortly`, {
          retryAfterSeconds: 5,
        });
      }
      return c.json(view.data, 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('read')] as const,
      method: 'get',
      path: '/v1/customers/{customerId}/timeline',
      summary: 'Everything that happened to a customer, each with its cause and definition version',
      description: "Newest first, `limit` at a time; pass the answer's `nextCursor` as `cursor` for the next page (absent on the last page).",
      request: {
        params: ZCustomerParam,
        query: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(200),
          cursor: ZTimelineCursor.optional(),
        }),
      },
      responses: {
        200: json(z.object({ entries: z.array(ZTimelineEntry), nextCursor: z.string().optional() }), 'Newest first'),
        404: json(ZError, 'Unknown customer'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { customerId } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      await knownCustomer(prisma, customerId);
      // Keyset paging on (occurredAt, id): stable while new entries arrive, and as fast on page 100 as on page 1.
      const rows = await prisma.timelineEntry.findMany({
        where: {
          customerId,
          ...(cursor ? { OR: [{ occurredAt: { lt: cursor.at } }, { occurredAt: cursor.at, id: { lt: cursor.id } }] } : {}),
        },
        orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
        select: { id: true, occurredAt: true, kind: true, summary: true, causeType: true, causeId: true, definitionVersion: true, detail: true },
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return c.json(
        {
          entries: page.map(({ id: _id, ...e }) => ({ ...e, occurredAt: e.occurredAt.toISOString(), detail: e.detail as Record<string, unknown> })),
          ...(rows.length > limit && last ? { nextCursor: encodeTimelineCursor(last) } : {}),
        },
        200,
      );
    },
  );

  // -------------------------------------------------------------------------------- success plans
  const ZPlanResponse = z
    .object({ customerId: z.string(), version: z.number(), plan: ZSuccessPlan, shareUrl: z.string(), updatedBy: z.string(), updatedAt: z.string() })
    .openapi('SuccessPlan');
  const planJson = (row: { customerId: string; version: number; document: unknown; shareToken: string; updatedBy: string; updatedAt: Date }) => ({
    customerId: row.customerId,
    version: row.version,
    plan: row.document as TSuccessPlan,
    shareUrl: `/v1/shared/success-plans/${row.shareToken}`,
    updatedBy: row.updatedBy,
    updatedAt: row.updatedAt.toISOString(),
  });

  app.openapi(
    createRoute({
      middleware: [requireScope('read')] as const,
      method: 'get',
      path: '/v1/customers/{customerId}/success-plan',
      summary: "The customer's success plan: objectives, milestones, metrics, risks, cadence",
      request: { params: ZCustomerParam },
      responses: { 200: json(ZPlanResponse, 'The plan and its share link'), 404: json(ZError, 'Unknown customer'), ...errorResponses },
    }),
    async (c) => {
      const { customerId } = c.req.valid('param');
      const row = await prisma.successPlan.findUnique({ where: { customerId } });
      if (!row) throw new ApiError(404, 'unknown_customer', `unknown customer: ${customerId}`);
      return c.json(planJson(row), 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('customers:write')] as const,
      method: 'put',
      path: '/v1/customers/{customerId}/success-plan',
      summary: 'Replace the success plan (optimistic: send the version you edited)',
      request: {
        params: ZCustomerParam,
        body: {
          content: {
            'application/json': {
              schema: z.object({ version: z.number().int().positive().max(1_000_000_000), by: boundedText(LIMITS.name), plan: ZSuccessPlan }),
            },
          },
          required: true,
        },
      },
      responses: {
        200: json(ZPlanResponse, 'Saved as the next version'),
        404: json(ZError, 'Unknown customer'),
        409: json(ZError, 'Edited meanwhile'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { customerId } = c.req.valid('param');
      const { version, by, plan } = c.req.valid('json');
      const { count } = await prisma.successPlan.updateMany({ where: { customerId, version }, data: { document: plan, version: version + 1, updatedBy: by } });
      const row = await prisma.successPlan.findUnique({ where: { customerId } });
      if (!row) throw new ApiError(404, 'unknown_customer', `unknown customer: ${customerId}`);
      if (count === 0)
        throw new ApiError(409, 'plan_changed', `the plan is at version ${row.version} (you edited ${version}): reload and apply your change again`);
      return c.json(planJson(row), 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('customers:write')] as const,
      method: 'post',
      path: '/v1/customers/{customerId}/success-plan/share-link',
      summary: 'Issue a new share link for the plan; the old link stops working at once',
      request: { params: ZCustomerParam },
      responses: { 200: json(ZPlanResponse, 'The plan with its new share link'), 404: json(ZError, 'Unknown customer'), ...errorResponses },
    }),
    async (c) => {
      const { customerId } = c.req.valid('param');
      const { count } = await prisma.successPlan.updateMany({ where: { customerId }, data: { shareToken: newShareToken() } });
      if (count === 0) throw new ApiError(404, 'unknown_customer', `unknown customer: ${customerId}`);
      return c.json(planJson(await prisma.successPlan.findUniqueOrThrow({ where: { customerId } })), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shared/success-plans/{token}',
      summary: 'The success plan as shared with the customer (the link is the credential; read-only)',
      security: [],
      request: {
        params: z.object({
          token: z
            .string()
            .min(10)
            .openapi({ param: { name: 'token', in: 'path' } }),
        }),
      },
      responses: {
        200: {
          description: 'The plan: JSON, or a readable page for a browser (Accept: text/html; `?format=json` forces JSON)',
          content: {
            'application/json': { schema: z.object({ customer: z.string(), version: z.number(), plan: ZSuccessPlan, updatedAt: z.string() }) },
            'text/html': { schema: z.string() },
          },
        },
        404: json(ZError, 'No such link'),
      },
    }),
    async (c) => {
      const row = await prisma.successPlan.findUnique({
        where: { shareToken: c.req.valid('param').token },
        include: { customer: { select: { name: true, csmOwner: true } } },
      });
      // A person opening the link in a browser reads a page; API clients (or `?format=json`) get JSON.
      const html = wantsHtml(c.req.header('accept'), c.req.query('format'));
      if (!row) {
        if (html)
          return c.html(
            '<!doctype html><title>Not found</title><p>There is no success plan behind this link (it may have been replaced by a new one).</p>',
            404,
          ) as never;
        throw new ApiError(404, 'unknown_link', 'no success plan behind this link');
      }
      if (html) {
        return c.html(
          await sharedPlanPage({ customer: row.customer.name, csmOwner: row.customer.csmOwner, plan: row.document as TSuccessPlan, updatedAt: row.updatedAt }),
          200,
        ) as never;
      }
      return c.json({ customer: row.customer.name, version: row.version, plan: row.document as TSuccessPlan, updatedAt: row.updatedAt.toISOString() }, 200);
    },
  );

  // ----------------------------------------------------------------------------------------- tasks
  const ZTask = z
    .object({
      id: z.string(),
      customerId: z.string(),
      assignee: z.string(),
      title: z.string(),
      detail: z.string(),
      priority: z.string(),
      status: z.string(),
      dueAt: z.string(),
      playRunId: z.string().nullable(),
      link: z.string(),
    })
    .openapi('Task');
  const taskJson = (t: {
    id: string;
    customerId: string;
    assignee: string;
    title: string;
    detail: string;
    priority: string;
    status: string;
    dueAt: Date;
    playRunId: string | null;
  }) => ({
    id: t.id,
    customerId: t.customerId,
    assignee: t.assignee,
    title: t.title,
    detail: t.detail,
    priority: t.priority,
    status: t.status,
    dueAt: t.dueAt.toISOString(),
    playRunId: t.playRunId,
    link: `/v1/customers/${t.customerId}`,
  });

  app.openapi(
    createRoute({
      middleware: [requireScope('read')] as const,
      method: 'get',
      path: '/v1/tasks',
      summary: "A CSM's tasks (or anyone's), soonest due first",
      request: {
        query: z.object({
          assignee: boundedText(LIMITS.name).optional(),
          status: z.enum(['open', 'done']).default('open'),
          customerId: ZCustomerId.optional(),
        }),
      },
      responses: { 200: json(z.object({ tasks: z.array(ZTask) }), 'Tasks'), ...errorResponses },
    }),
    async (c) => {
      const { assignee, status, customerId } = c.req.valid('query');
      const tasks = await prisma.csmTask.findMany({
        where: { status, ...(assignee ? { assignee } : {}), ...(customerId ? { customerId } : {}) },
        orderBy: { dueAt: 'asc' },
        take: 500,
      });
      return c.json({ tasks: tasks.map(taskJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('tasks:write')] as const,
      method: 'post',
      path: '/v1/tasks/{taskId}/complete',
      summary: 'Mark a task done',
      request: {
        params: z.object({
          taskId: z
            .string()
            .uuid()
            .openapi({ param: { name: 'taskId', in: 'path' } }),
        }),
        body: {
          content: { 'application/json': { schema: z.object({ by: boundedText(LIMITS.name), note: boundedText(LIMITS.text, 0).optional() }) } },
          required: true,
        },
      },
      responses: { 200: json(ZTask, 'Done (completing twice is harmless)'), 404: json(ZError, 'Unknown task'), ...errorResponses },
    }),
    async (c) => {
      const { taskId } = c.req.valid('param');
      const { by } = c.req.valid('json');
      const task = await prisma.csmTask.findUnique({ where: { id: taskId } });
      if (!task) throw new ApiError(404, 'unknown_task', `unknown task: ${taskId}`);
      const done =
        task.status === 'done'
          ? task
          : await prisma.csmTask.update({ where: { id: taskId }, data: { status: 'done', completedAt: new Date(), completedBy: by } });
      return c.json(taskJson(done), 200);
    },
  );

  // --------------------------------------------------------------------------------------- segment
  const ZSegmentResult = z
    .object({
      success: z.boolean(),
      accepted: z.number(),
      duplicates: z.number(),
      skipped: z.array(z.object({ messageId: z.string().optional(), reason: z.string() })),
      parked: z.array(z.object({ messageId: z.string(), userId: z.string() })),
    })
    .openapi('SegmentResult');
  const segmentRoute = (kind: 'batch' | TSegmentCallType, schema: z.ZodTypeAny) =>
    createRoute({
      middleware: [requireScope('events:write')] as const,
      method: 'post',
      path: `/v1/segment/${kind}`,
      summary: `Segment-spec ${kind} payload, accepted unchanged (point a Segment SDK's host and path here)`,
      request: { body: { content: { 'application/json': { schema } }, required: true } },
      responses: {
        200: json(
          ZSegmentResult,
          'Recorded and delivered; tracks from users not yet tied to a customer are parked until a group, identify or alias call ties them; unusable messages are listed as skipped with the reason',
        ),
        ...errorResponses,
      },
    });
  const takeSegment = async (c: Context<Env>, messages: TSegmentMessage[], unreadable: SegmentSkip[] = []) => {
    const { events, skipped: unusable, parked, unparked } = await fromSegment(prisma, messages);
    const skipped = [...unreadable, ...unusable];
    const known = new Set(
      (await prisma.customer.findMany({ where: { id: { in: [...new Set(events.map((e) => e.customerId))] } }, select: { id: true } })).map((r) => r.id),
    );
    const deliverable = events.filter((e) => known.has(e.customerId));
    for (const e of events)
      if (!known.has(e.customerId)) skipped.push({ messageId: e.event.id.replace(/^segment:/, ''), reason: `unknown customer: ${e.customerId}` });
    // Segment may repeat a message inside one batch (retries): the first copy counts (a set: linear).
    const firstIds = new Set<string>();
    const unique = deliverable.filter((e) => !firstIds.has(e.event.id) && Boolean(firstIds.add(e.event.id)));
    const results = unique.length > 0 ? await accept(unique, { source: 'segment', checkContractDates: false, reusedKey: 'duplicate' }) : [];
    const deliveredIds = new Set(unique.map((e) => e.event.id));
    await forgetParked(
      prisma,
      unparked.filter((messageId) => deliveredIds.has(`segment:${messageId}`)),
    );
    return c.json(
      {
        success: true,
        accepted: results.filter((r) => r.status === 'accepted').length,
        duplicates: results.filter((r) => r.status === 'duplicate').length + deliverable.length - unique.length,
        skipped,
        parked,
      },
      200,
    );
  };
  // Each message of a batch is read on its own: the unreadable ones are answered as skipped.
  app.openapi(segmentRoute('batch', ZSegmentBatch), async (c) => {
    const { messages, skipped } = c.req.valid('json') as z.infer<typeof ZSegmentBatch>;
    return takeSegment(c, messages, skipped);
  });
  for (const kind of Object.keys(SEGMENT_SINGLE_CALLS) as TSegmentCallType[]) {
    app.openapi(segmentRoute(kind, SEGMENT_SINGLE_CALLS[kind]), async (c) => takeSegment(c, [c.req.valid('json') as TSegmentMessage]));
  }

  // --------------------------------------------------------------------------------------- metrics
  app.openapi(
    createRoute({
      middleware: [requireScope('read')] as const,
      method: 'get',
      path: '/v1/metrics',
      summary: 'Portfolio metrics: NRR, GRR, churn and expansion ARR, NPS, time to value, health, renewals due, at risk, books of business',
      request: {
        query: z.object({ days: z.coerce.number().int().min(1).max(3650).default(90).openapi({ description: 'Period length for NRR, GRR and NPS' }) }),
      },
      responses: { 200: json(z.object({}).passthrough(), 'Metrics'), ...errorResponses },
    }),
    async (c) => {
      const { days } = c.req.valid('query');
      return c.json(await portfolioReport(prisma, definition, days), 200);
    },
  );

  // -------------------------------------------------------------------------------------- api keys
  // Keys are made and revoked through the running engine, so the embedded database is never opened
  // by a second process (`cli api-key` calls these). Admin scope: `keys:write`.
  const ZKeyName = z.string().regex(API_KEY_NAME, 'a name of letters, digits, _ . - (max 64)');
  app.openapi(
    createRoute({
      middleware: [requireScope('keys:write')] as const,
      method: 'post',
      path: '/v1/api-keys',
      summary: 'Create an API key (shown once in the answer; stored only as a hash)',
      request: {
        body: {
          content: {
            'application/json': {
              schema: z.object({
                name: ZKeyName,
                scopes: z
                  .array(z.enum(API_SCOPES))
                  .min(1)
                  .max(API_SCOPES.length)
                  .optional()
                  .openapi({ description: `Default: ${DEFAULT_API_SCOPES.join(', ')} (keys:write only when named)` }),
              }),
            },
          },
          required: true,
        },
      },
      responses: {
        201: json(
          z.object({ name: z.string(), key: z.string(), scopes: z.array(z.string()) }).openapi('CreatedApiKey'),
          'Created; the key is in the answer only',
        ),
        409: json(ZError, 'A key with this name exists (revoked keys keep their name)'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { name, scopes = [...DEFAULT_API_SCOPES] } = c.req.valid('json');
      const unique = [...new Set(scopes)];
      try {
        const key = await createApiKey(prisma, name, unique);
        return c.json({ name, key, scopes: unique }, 201);
      } catch (error) {
        if ((error as Error).name === 'ApiKeyNameTakenError') throw new ApiError(409, 'key_exists', (error as Error).message);
        throw error;
      }
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('keys:write')] as const,
      method: 'post',
      path: '/v1/api-keys/{name}/revoke',
      summary: `Revoke an API key: this API process refuses it (403) from the next request on, other API processes within ${API_KEY_CACHE_MS / 1000} s`,
      request: { params: z.object({ name: ZKeyName.openapi({ param: { name: 'name', in: 'path' } }) }) },
      responses: {
        200: json(z.object({ name: z.string(), revoked: z.literal(true) }), 'Revoked'),
        404: json(ZError, 'No active key with this name'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      if (!(await revokeApiKey(prisma, name))) throw new ApiError(404, 'unknown_key', `no active API key named "${name}"`);
      apiKeys.forget();
      return c.json({ name, revoked: true as const }, 200);
    },
  );

  app.doc31('/v1/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Customer-success lifecycle engine API', version: '1' },
    // Any one of these: a key as a bearer token or in x-api-key, a Segment write key (Basic), or
    // for the event routes a body signed with INGEST_WEBHOOK_SECRET.
    security: [{ bearer: [] }, { apiKeyHeader: [] }, { segmentWriteKey: [] }, { signedBody: [] }],
  });
  const securitySchemes = {
    bearer: { type: 'http', scheme: 'bearer', description: 'An API key (csk_…) from `cli api-key create`: `Authorization: Bearer csk_…`' },
    apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The same API key in the x-api-key header' },
    segmentWriteKey: { type: 'http', scheme: 'basic', description: "Segment's SDKs: the API key as the Basic-auth user name, empty password" },
    signedBody: {
      type: 'apiKey',
      in: 'header',
      name: WEBHOOK_SIGNATURE_HEADER,
      description: 'Event and Segment routes only: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body" with INGEST_WEBHOOK_SECRET>`',
    },
  } as const;
  for (const [name, scheme] of Object.entries(securitySchemes)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  return app;
}

/**
 * A route's scope, checked before its body is read or validated: a read-only key posting anything
 * is told it lacks the scope (403), not what is wrong with a body it may not send at all (422).
 */
function requireScope(scope: ApiScope): MiddlewareHandler<Env> {
  return async (c, next) => {
    if (!c.get('scopes').includes(scope)) throw new ApiError(403, 'missing_scope', `this key (${c.get('caller')}) lacks the scope ${scope}`);
    await next();
  };
}

async function knownCustomer(prisma: PrismaClient, customerId: string): Promise<void> {
  if (!(await prisma.customer.findUnique({ where: { id: customerId }, select: { id: true } }))) {
    throw new ApiError(404, 'unknown_customer', `unknown customer: ${customerId}`);
  }
}

/**
 * A body that is not valid UTF-8 is refused: decoding would silently turn its bad bytes into U+FFFD,
 * and two garbled ids would then collide as one idempotency key.
 */
const rejectInvalidUtf8: MiddlewareHandler<Env> = async (c, next) => {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8Byte(bytes);
    throw new ApiError(400, 'invalid_utf8', `the body is not valid UTF-8 (first bad byte at offset ${at}); send text as UTF-8`);
  }
  return next();
};

function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  // Binary search on the longest prefix that decodes; cheap, and only on the error path.
  let ok = 0;
  let bad = bytes.length;
  while (bad - ok > 1) {
    const mid = (ok + bad) >> 1;
    try {
      // stream: a sequence cut by the prefix's end is not yet an error.
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      ok = mid;
    } catch {
      bad = mid;
    }
  }
  return ok;
}

/** API key (Bearer or x-api-key), or for event routes an HMAC-signed body. */
function authenticate(deps: ApiDeps, availability: AvailabilityLog, apiKeys: ApiKeyCache): MiddlewareHandler<Env> {
  return async (c, next) => {
    if (c.req.path === '/v1/openapi.json' || c.req.path.startsWith('/v1/shared/')) return next();
    const signature = c.req.header(WEBHOOK_SIGNATURE_HEADER);
    if (signature !== undefined && deps.ingestSecret && (c.req.path.startsWith('/v1/events') || c.req.path.startsWith('/v1/segment/'))) {
      const check = verifyWebhookSignature({ secret: deps.ingestSecret, header: signature, body: await c.req.text(), now: Math.floor(Date.now() / 1000) });
      if (!check.ok) throw new ApiError(401, 'bad_signature', check.reason);
      c.set('scopes', ['events:write']);
      c.set('caller', 'signed webhook');
      return next();
    }
    const authorization = c.req.header('authorization');
    const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    // Segment's SDKs send the write key as the Basic-auth user name (empty password).
    const basic = authorization?.match(/^Basic\s+(\S+)$/i)?.[1];
    const basicUser = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':')[0] : undefined;
    const presented = bearer ?? basicUser ?? c.req.header('x-api-key');
    if (!presented) throw new ApiError(401, 'unauthenticated', 'send an API key: Authorization: Bearer csk_…');
    const key = await apiKeys.find(presented);
    if (!key) throw new ApiError(401, 'unauthenticated', 'unknown API key');
    if (key.revoked) throw new ApiError(403, 'key_revoked', `the API key "${key.name}" was revoked`);
    c.set('scopes', key.scopes);
    c.set('caller', key.name);
    return next();
  };
}
