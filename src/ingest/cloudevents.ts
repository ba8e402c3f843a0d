/**
 * CloudEvents 1.0 (JSON event format, HTTP binding) read into the engine's customer events, so a
 * system that already emits CloudEvents (an event bus, a CloudEvents SDK) can send them as they are.
 * This module only reads and maps; the events then take the path of `POST /v1/events` unchanged
 * (`acceptEvents`: recorded under their idempotency key, delivered, answered `accepted`/`duplicate`).
 *
 * Three HTTP modes: structured (`Content-Type: application/cloudevents+json`, the event as the
 * body), batch (`application/cloudevents-batch+json`, a JSON array of events) and binary (the
 * attributes as `ce-*` headers, percent-decoded as the binding says, and the data as the body with
 * its own JSON `Content-Type`).
 *
 * Mapping: `id` is the idempotency key (the same key space as `POST /v1/events`: the same id sent
 * through both is one event), `subject` the customer id, `time` when the event occurred, `type`
 * the engine's event type (`com.cs-lifecycle.<type>` for each, plus the ops' own names from
 * `CLOUDEVENTS_TYPE_MAP`), and `data` the event's fields as `POST /v1/events` takes them, without
 * `id`, `type`, `occurredAt` and `customerId`. `source` must be there (the spec requires it) but
 * does not scope the id. `subject` and `time` are optional in the spec and required here: an event
 * without a customer has nowhere to go, and one dated on arrival would read as another payload
 * when its sender retries it.
 *
 * Answers: 415 for a body in another format (not JSON, binary data that is not JSON); 400 for what
 * is not a CloudEvent this endpoint takes (a missing or wrong specversion, an unknown type, no
 * subject, data that is not an object, a batch over 500), each issue naming its attribute (`type`,
 * `3.subject`, `ce-specversion`); 422, as on `POST /v1/events`, when the engine's event schema
 * refuses a field (`data.logins`, `time` more than a day ahead). Every attribute is bounded
 * (`CLOUDEVENT_LIMITS`, from `src/domain/bounds.ts`); what a sender adds as extension attributes is
 * checked against the spec's naming rule and those bounds, then ignored and never stored.
 */
import { z } from 'zod';
import { ApiError } from '../api/errors';
import { LIMITS, textProblem } from '../domain/bounds';
import { ZCustomerEvent, ZCustomerId, type TCustomerEvent } from '../domain/customer-events';
import type { IncomingEvent } from './accept-events';
import { CLOUDEVENT_TYPE_LIMITS, CLOUDEVENT_TYPE_PREFIX, DEFAULT_CLOUDEVENT_TYPES } from './cloudevent-types';

export const CLOUDEVENT_LIMITS = {
  /** Events in one batch, as on `POST /v1/events/batch`. */
  batchEvents: 500,
  id: LIMITS.id,
  type: CLOUDEVENT_TYPE_LIMITS.type,
  /** `source` and `dataschema`: URI references. */
  uri: LIMITS.line,
  contentType: LIMITS.name,
  /** Extension attributes on one event, their names (the spec suggests 20) and string values. */
  extensions: 50,
  extensionName: 50,
  extensionValue: LIMITS.line,
} as const;
const L = CLOUDEVENT_LIMITS;

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';
export const CLOUDEVENTS_BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';

// ------------------------------------------------------------------------------------ envelope

const notAString = (what: string) => (issue: { input: unknown }) => (issue.input === undefined ? `required: ${what}` : `must be a string (${what})`);
/** A required string attribute, bounded and storable, with a message saying what it is for. */
const attribute = (max: number, what: string) =>
  z
    .string({ error: notAString(what) })
    .min(1, `must not be empty (${what})`)
    .max(max, `at most ${max} characters`)
    .superRefine((value, ctx) => {
      const problem = textProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

/** `application/json`, `text/json` or any `…+json`, with or without parameters. */
export function isJsonMediaType(value: string): boolean {
  const essence = value.split(';')[0]!.trim().toLowerCase();
  return essence === 'application/json' || essence === 'text/json' || /^[a-z0-9!#$&^_.-]+\/[a-z0-9!#$&^_.-]+\+json$/.test(essence);
}

const ZExtensionValue = z.union(
  [
    z
      .string()
      .max(L.extensionValue, `at most ${L.extensionValue} characters`)
      .refine((value) => textProblem(value) === undefined, 'must not contain NUL characters or unpaired surrogates'),
    z
      .number()
      .int('an extension number must be an integer (the spec has no other numbers)')
      .min(-(2 ** 31))
      .max(2 ** 31 - 1),
    z.boolean(),
  ],
  { error: 'an extension attribute is a string, an integer or a boolean' },
);

const KNOWN_ATTRIBUTES = new Set(['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data', 'data_base64']);
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;

/** A CloudEvent's attributes as this endpoint requires them; `data` only checked to be an object here. */
export const ZCloudEventAttributes = z
  .object({
    specversion: z.string({ error: notAString('this endpoint takes CloudEvents 1.0, specversion "1.0"') }).superRefine((value, ctx) => {
      if (value !== '1.0')
        ctx.addIssue({ code: 'custom', message: `specversion ${JSON.stringify(value.slice(0, 20))} is not supported: send CloudEvents 1.0 ("1.0")` });
    }),
    id: attribute(L.id, "the event's id, its idempotency key"),
    source: attribute(L.uri, 'a URI-reference naming the sender'),
    type: attribute(L.type, `the event's type, e.g. ${CLOUDEVENT_TYPE_PREFIX}usage`),
    subject: z.string({ error: notAString('the id of the customer the event belongs to') }).pipe(ZCustomerId),
    time: z
      .string({ error: notAString('when the event occurred, an RFC 3339 timestamp') })
      .max(64, 'at most 64 characters')
      .pipe(z.iso.datetime({ offset: true, error: 'must be an RFC 3339 timestamp with a time zone, e.g. 2026-11-24T10:00:00Z' })),
    datacontenttype: z
      .string()
      .max(L.contentType, `at most ${L.contentType} characters`)
      .refine(isJsonMediaType, 'must be a JSON media type (application/json): the engine takes data as a JSON object')
      .optional(),
    dataschema: attribute(L.uri, 'a URI of the schema data adheres to').optional(),
    data: z.record(z.string(), z.unknown(), {
      error: (issue) =>
        issue.input === undefined
          ? "required: a JSON object with the event's fields"
          : `must be a JSON object with the event's fields, not ${Array.isArray(issue.input) ? 'an array' : issue.input === null ? 'null' : typeof issue.input}`,
    }),
    data_base64: z.never({ error: 'not accepted: send data as a JSON object' }).optional(),
  })
  .catchall(ZExtensionValue);

/** The attributes, with the names of extensions and the fields data must leave to the attributes. */
export const ZCloudEventEnvelope = ZCloudEventAttributes.superRefine((event, ctx) => {
  const extensions = Object.keys(event).filter((name) => !KNOWN_ATTRIBUTES.has(name));
  for (const name of extensions) {
    if (!ATTRIBUTE_NAME.test(name) || name.length > L.extensionName)
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `not a CloudEvents attribute name (lower-case letters and digits, at most ${L.extensionName})${name === 'customerId' ? '; the customer id goes in subject' : ''}`,
      });
  }
  if (extensions.length > L.extensions) ctx.addIssue({ code: 'custom', path: [], message: `at most ${L.extensions} extension attributes` });
  for (const [field, instead] of [
    ['id', 'id'],
    ['type', 'type'],
    ['occurredAt', 'time'],
    ['customerId', 'subject'],
  ] as const) {
    if (event.data && Object.hasOwn(event.data, field))
      ctx.addIssue({ code: 'custom', path: ['data', field], message: `not part of data: the CloudEvent's ${instead} attribute gives it` });
  }
});

/**
 * The `data` of each engine type, for the OpenAPI document: the fields of `POST /v1/events` less
 * the ones the attributes give.
 */
export const cloudEventDataSchemas = ZCustomerEvent.options.map((option) => {
  const { id: _id, type, occurredAt: _occurredAt, ...fields } = option.shape;
  return { type: type.value, schema: z.object(fields).strict() };
});

// ------------------------------------------------------------------------------------- reading

type Issue = { path: string; message: string };
/** 400: not a CloudEvent this endpoint takes. 422: the engine's event schema refuses a field. */
type Problem = Issue & { status: 400 | 422 };

export type CloudEventMode = 'structured' | 'batch' | 'binary';

export interface CloudEventsRequest {
  mode: CloudEventMode;
  events: IncomingEvent[];
  /** Each event's prefix in the error paths of `acceptEvents` (`3.`, `ce-`). */
  pathOf: (index: number) => string;
}

/** Where an attribute and a data field are named in errors, by mode. */
interface Paths {
  attribute(name: string): string;
  data(path: PropertyKey[]): string;
}
const joined = (path: PropertyKey[]) => path.map(String).join('.');
const bodyPaths = (prefix: string): Paths => ({
  attribute: (name) => (name ? `${prefix}${name}` : prefix.replace(/\.$/, '') || '(body)'),
  data: (path) => `${prefix}data${path.length > 0 ? `.${joined(path)}` : ''}`,
});
const headerPaths: Paths = {
  attribute: (name) => `ce-${name}`,
  data: (path) => `data${path.length > 0 ? `.${joined(path)}` : ''}`,
};

/** One event's attributes and data checked and mapped, or what is wrong with them. */
function readEvent(raw: unknown, types: ReadonlyMap<string, TCustomerEvent['type']>, paths: Paths): IncomingEvent | Problem[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return [{ status: 400, path: paths.attribute(''), message: 'must be a CloudEvent (a JSON object of attributes)' }];
  }
  const envelope = ZCloudEventEnvelope.safeParse(raw);
  if (!envelope.success) {
    return envelope.error.issues.map((issue) => ({
      status: 400,
      path: issue.path[0] === 'data' ? paths.data(issue.path.slice(1)) : paths.attribute(joined(issue.path)),
      message: issue.message,
    }));
  }
  const { id, type, subject, time, data } = envelope.data;
  const engineType = types.get(type);
  if (engineType === undefined) {
    const builtIn = Object.keys(DEFAULT_CLOUDEVENT_TYPES).join(', ');
    const custom = types.size - Object.keys(DEFAULT_CLOUDEVENT_TYPES).length;
    return [
      {
        status: 400,
        path: paths.attribute('type'),
        message: `unknown type ${JSON.stringify(type.slice(0, 100))}: one of ${builtIn}${custom > 0 ? ` or the ${custom} in CLOUDEVENTS_TYPE_MAP` : ''} (map your own in CLOUDEVENTS_TYPE_MAP)`,
      },
    ];
  }
  const event = ZCustomerEvent.safeParse({ ...data, id, type: engineType, occurredAt: time });
  if (!event.success) {
    // The attributes' own fields are named as attributes (`time`), the rest as data (`data.logins`).
    return event.error.issues.map((issue) => ({
      status: 422,
      path: issue.path[0] === 'id' ? paths.attribute('id') : issue.path[0] === 'occurredAt' ? paths.attribute('time') : paths.data(issue.path),
      message: issue.message,
    }));
  }
  return { customerId: subject, event: event.data };
}

function fail(problems: Problem[]): never {
  const status = problems.some((p) => p.status === 400) ? 400 : 422;
  const issues = problems.map(({ path, message }) => ({ path, message }));
  throw new ApiError(status, status === 400 ? 'invalid_cloudevent' : 'invalid_request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
}

const essenceOf = (contentType: string | undefined) => contentType?.split(';')[0]!.trim().toLowerCase();

/** Percent-decodes a binary-mode header value, as the HTTP binding encodes what is not printable ASCII. */
function headerValue(name: string, value: string): string | Problem {
  try {
    return decodeURIComponent(value);
  } catch {
    return { status: 400, path: name, message: 'not percent-encoded as the CloudEvents HTTP binding says (a % must be followed by two hex digits of UTF-8)' };
  }
}

/**
 * The request's CloudEvents as engine events, by its mode. Throws an `ApiError`: 415 for a format
 * this endpoint does not read, 400 or 422 with every issue (a batch is taken whole or not at all,
 * as on `POST /v1/events/batch`).
 */
export function readCloudEvents(request: { headers: Headers; body: string }, types: ReadonlyMap<string, TCustomerEvent['type']>): CloudEventsRequest {
  const contentType = request.headers.get('content-type') ?? undefined;
  const essence = essenceOf(contentType);
  const parse = () => JSON.parse(request.body) as unknown; // a SyntaxError is answered 400 malformed_json

  if (essence === CLOUDEVENTS_CONTENT_TYPE) {
    const body = parse();
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      fail([
        {
          status: 400,
          path: '(body)',
          message: `a structured-mode CloudEvent is a JSON object${Array.isArray(body) ? `; send an array as ${CLOUDEVENTS_BATCH_CONTENT_TYPE}` : ''}`,
        },
      ]);
    }
    const read = readEvent(body, types, bodyPaths(''));
    if (Array.isArray(read)) fail(read);
    return { mode: 'structured', events: [read], pathOf: () => '' };
  }

  if (essence === CLOUDEVENTS_BATCH_CONTENT_TYPE) {
    const body = parse();
    if (!Array.isArray(body)) fail([{ status: 400, path: '(body)', message: 'a CloudEvents batch is a JSON array of events' }]);
    if (body.length > L.batchEvents)
      fail([{ status: 400, path: '(body)', message: `at most ${L.batchEvents} events in a batch (this one has ${body.length}); send the rest in another` }]);
    const problems: Problem[] = [];
    const events: IncomingEvent[] = [];
    body.forEach((raw, index) => {
      const read = readEvent(raw, types, bodyPaths(`${index}.`));
      if (Array.isArray(read)) problems.push(...read);
      else events.push(read);
    });
    if (problems.length > 0) fail(problems);
    return { mode: 'batch', events, pathOf: (index) => `${index}.` };
  }

  if (essence?.startsWith('application/cloudevents')) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `${essence} is not read here: send the JSON event format, ${CLOUDEVENTS_CONTENT_TYPE} or ${CLOUDEVENTS_BATCH_CONTENT_TYPE}, or binary mode`,
    );
  }

  // Binary mode: attributes in ce-* headers, the data as the body, Content-Type its datacontenttype.
  const attributes: Record<string, unknown> = {};
  const problems: Problem[] = [];
  let headerCount = 0;
  request.headers.forEach((value, name) => {
    if (!name.startsWith('ce-')) return;
    headerCount++;
    const attribute = name.slice(3);
    if (attribute === 'data' || attribute === 'datacontenttype') {
      problems.push({
        status: 400,
        path: name,
        message: `not a header in binary mode: ${attribute === 'data' ? 'data is the body' : 'Content-Type gives it'}`,
      });
      return;
    }
    const decoded = headerValue(name, value);
    if (typeof decoded === 'string') attributes[attribute] = decoded;
    else problems.push(decoded);
  });
  if (headerCount === 0) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `not a CloudEvent: send ${CLOUDEVENTS_CONTENT_TYPE} (structured mode), ${CLOUDEVENTS_BATCH_CONTENT_TYPE} (batch mode), or the attributes as ce-* headers with the data as the body (binary mode)`,
    );
  }
  if (contentType !== undefined && !isJsonMediaType(contentType)) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `binary mode: the body is the event's data and must be JSON (Content-Type: application/json), not ${essence}: the engine takes data as a JSON object`,
    );
  }
  if (problems.length > 0) fail(problems);
  if (request.body.trim() !== '') attributes.data = parse();
  const read = readEvent(attributes, types, headerPaths);
  if (Array.isArray(read)) fail(read);
  return { mode: 'binary', events: [read], pathOf: () => 'ce-' };
}
