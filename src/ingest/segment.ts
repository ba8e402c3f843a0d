/**
 * Segment-spec payloads (`track`, `identify`, `group`, `page`, `screen`, `alias`, `batch`) accepted
 * unchanged, so a product analytics pipeline can forward to the engine as it is (Segment's own SDKs
 * included: they authenticate with the write key as the Basic-auth user name, here an API key).
 *
 * Mapping: `group` ties a user to a customer (groupId = customer id); `identify` may too, with a
 * `groupId` or `customerId` trait. `alias` ties the new `userId` to the customer of `previousId`
 * (or, when only the new id is tied, the old id to the new one's customer: anonymous browsing
 * before sign-up then reaches the customer); when both are tied already the explicit group/identify
 * ties stand, and when neither is, the alias is parked under `userId` and applied once that id is
 * tied. A `track` reaches its customer through `properties.customerId`, `context.groupId` or the
 * user's tie. Named events become lifecycle events — "Milestone Reached" (properties.milestone),
 * "Survey Responded" (survey, score), "Ticket Opened" / "Ticket Updated" / "Ticket Resolved"
 * (ticketId, severity) — and every other track is product usage (a login when it is "Logged In"
 * or "Signed In"; `properties.feature` names a key feature).
 *
 * `page` and `screen` are product usage too, as CS platforms count them (a view in the product is
 * activity; `properties.feature` names a key feature; never a login), reaching their customer the
 * same way as a track. Unlike a track, a view from a user not tied to a customer yet is skipped
 * with its reason, not parked: views are the most frequent call and most come from anonymous
 * visitors who never become a customer's user, and parked messages are only dropped once they
 * expire (`SEGMENT_PARKED_TTL_DAYS`, by the maintenance schedule: `expireParkedMessages`).
 *
 * Each message's id is `segment:<messageId>`, so Segment's retries are recognised as repeats. A
 * track from a user no call has tied to a customer yet is parked, not dropped, and delivered once
 * one does. In a batch each message is read on its own: one that is invalid or of a type this
 * module does not know is answered in `skipped` with the field (`batch.3.properties.plan`), and the
 * rest are taken, because Segment's SDKs drop a whole flush that is refused.
 *
 * Every string, array, object and number is bounded (`SEGMENT_LIMITS`, shown in the OpenAPI
 * document), and strings must be storable: PostgreSQL text cannot hold NUL, and a lone UTF-16
 * surrogate cannot be encoded as UTF-8 or stored in jsonb. What a message carries beyond the fields
 * below (`integrations`, `_metadata`, `sentAt`, a batch's `writeKey`) is ignored and never stored.
 */
import { z } from 'zod';
import type { TCustomerEvent } from '../domain/customer-events';
import { ZCustomerEvent } from '../domain/customer-events';
import type { PrismaClient } from '../generated/prisma/client';
import type { IncomingEvent } from './accept-events';

export const SEGMENT_LIMITS = {
  /** Messages in one batch. */
  batchMessages: 1000,
  /** Event ids are at most 200 characters and are `segment:` + messageId. */
  messageIdLength: 192,
  /** userId, anonymousId, previousId, groupId. */
  idLength: 256,
  /** Event, page and screen names and categories. */
  nameLength: 200,
  timestampLength: 64,
  /** Any string inside properties, traits or context. */
  stringLength: 8192,
  /** Any key inside properties, traits or context. */
  keyLength: 200,
  keysPerObject: 200,
  arrayItems: 500,
  /** Objects and arrays nested in one another, the outermost (properties itself) counting as 1. */
  depth: 10,
  /** Serialized properties, traits or context: Segment's own limit for a whole message is 32 KB. */
  objectBytes: 32 * 1024,
} as const;
const L = SEGMENT_LIMITS;

// A NUL, or a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// eslint-disable-next-line no-control-regex -- the NUL is what this refuses
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored as PostgreSQL text or jsonb, or undefined when it can. */
export function unstorableText(value: string): string | undefined {
  const found = UNSTORABLE.exec(value);
  if (!found) return undefined;
  return found[0] === '\u0000'
    ? 'contains a NUL character, which cannot be stored'
    : 'contains a lone UTF-16 surrogate (broken Unicode), which cannot be stored';
}

const text = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((value, ctx) => {
      const problem = unstorableText(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

const numericId = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const idError = {
  error: (issue: { input: unknown }) => (issue.input === undefined ? 'required: a string or an integer id' : 'expected a string or an integer id'),
};
/** Segment ids may be strings or numbers; kept as strings. */
const ZSegmentId = z.union([text(L.idLength).min(1), numericId], idError).transform(String);
/** analytics.js sends `"userId": null` for anonymous users: the same as leaving it out, as is "". */
const ZOptionalSegmentId = z
  .union([text(L.idLength), numericId], idError)
  .nullish()
  .transform((value) => (value === null || value === undefined || value === '' ? undefined : String(value)));

interface JsonProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Finds the first value that breaks SEGMENT_LIMITS. Recursion stops at the depth limit, so a
 * payload nested 100,000 deep is refused here instead of overflowing the stack later
 * (JSON.stringify, Prisma, PostgreSQL).
 */
function jsonProblem(value: unknown, path: (string | number)[], depth: number): JsonProblem | undefined {
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : { path, message: 'not a finite number' };
  if (typeof value === 'string') {
    if (value.length > L.stringLength) return { path, message: `longer than ${L.stringLength} characters` };
    const problem = unstorableText(value);
    return problem ? { path, message: problem } : undefined;
  }
  if (typeof value !== 'object') return { path, message: 'not a JSON value' };
  if (depth > L.depth) return { path, message: `nested deeper than ${L.depth} levels` };
  if (Array.isArray(value)) {
    if (value.length > L.arrayItems) return { path, message: `more than ${L.arrayItems} items` };
    for (let i = 0; i < value.length; i++) {
      const problem = jsonProblem(value[i], [...path, i], depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length > L.keysPerObject) return { path, message: `more than ${L.keysPerObject} keys` };
  for (const [key, child] of entries) {
    if (key.length > L.keyLength) return { path: [...path, key], message: `key longer than ${L.keyLength} characters` };
    const keyProblem = unstorableText(key);
    if (keyProblem) return { path: [...path, key], message: `key ${keyProblem}` };
    const problem = jsonProblem(child, [...path, key], depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

const BOUNDS_DESCRIPTION =
  `at most ${L.objectBytes / 1024} KiB as JSON, ${L.depth} levels of nesting, ${L.keysPerObject} keys per object (keys up to ${L.keyLength} characters), ` +
  `${L.arrayItems} items per array, ${L.stringLength} characters per string, finite numbers; no NUL characters or lone surrogates`;

/** A free-form JSON object (properties, traits, context) within SEGMENT_LIMITS. */
function boundedObject<S extends z.ZodRawShape>(shape: S, description: string) {
  return z
    .object(shape)
    .catchall(z.unknown())
    .superRefine((value, ctx) => {
      const problem = jsonProblem(value, [], 1);
      if (problem) {
        ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
        return;
      }
      const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
      if (bytes > L.objectBytes) ctx.addIssue({ code: 'custom', message: `${bytes} bytes as JSON; at most ${L.objectBytes}` });
    })
    .describe(`${description}; ${BOUNDS_DESCRIPTION}`);
}

const ZProperties = boundedObject({}, 'Free-form properties').default({});
const ZTraits = boundedObject({}, 'Free-form traits').default({});
const ZContext = boundedObject({ groupId: ZOptionalSegmentId }, 'Segment context; `groupId` names the customer').optional();

const common = {
  messageId: text(L.messageIdLength)
    .min(1)
    .optional()
    .describe('Segment message id; the event id is `segment:<messageId>`, so a retry is recognised as a repeat'),
  userId: ZOptionalSegmentId,
  anonymousId: ZOptionalSegmentId,
  timestamp: text(L.timestampLength).optional(),
  context: ZContext,
};
const views = { name: text(L.nameLength).optional(), category: text(L.nameLength).optional(), properties: ZProperties };

const trackShape = { event: text(L.nameLength).min(1), properties: ZProperties, ...common };
const identifyShape = { traits: ZTraits, ...common };
const groupShape = { groupId: ZSegmentId.describe('The customer id'), traits: ZTraits, ...common };
const aliasShape = {
  ...common,
  userId: ZSegmentId.describe('The new id'),
  previousId: ZSegmentId.describe('The id it replaces (often the anonymousId)'),
};

// In a batch every message names its type (Segment's spec); the single-call routes of Segment's HTTP
// Tracking API leave it out, since the path says it.
export const ZSegmentTrack = z.object({ type: z.literal('track'), ...trackShape });
export const ZSegmentIdentify = z.object({ type: z.literal('identify'), ...identifyShape });
export const ZSegmentGroup = z.object({ type: z.literal('group'), ...groupShape });
export const ZSegmentPage = z.object({ type: z.literal('page'), ...views, ...common });
export const ZSegmentScreen = z.object({ type: z.literal('screen'), ...views, ...common });
export const ZSegmentAlias = z.object({ type: z.literal('alias'), ...aliasShape });
export type TSegmentTrack = z.infer<typeof ZSegmentTrack>;
type TSegmentView = z.infer<typeof ZSegmentPage> | z.infer<typeof ZSegmentScreen>;
type TSegmentAlias = z.infer<typeof ZSegmentAlias>;

const BATCH_SCHEMAS = {
  track: ZSegmentTrack,
  identify: ZSegmentIdentify,
  group: ZSegmentGroup,
  page: ZSegmentPage,
  screen: ZSegmentScreen,
  alias: ZSegmentAlias,
} as const;
export type TSegmentCallType = keyof typeof BATCH_SCHEMAS;
export const SEGMENT_CALL_TYPES = Object.keys(BATCH_SCHEMAS) as TSegmentCallType[];
export type TSegmentMessage = z.infer<(typeof BATCH_SCHEMAS)[TSegmentCallType]>;

/** Bodies of the single-call routes (`/v1/segment/track`, …): `type` may be left out. */
export const SEGMENT_SINGLE_CALLS = {
  track: z.object({ type: z.literal('track').default('track'), ...trackShape }),
  identify: z.object({ type: z.literal('identify').default('identify'), ...identifyShape }),
  group: z.object({ type: z.literal('group').default('group'), ...groupShape }),
  page: z.object({ type: z.literal('page').default('page'), ...views, ...common }),
  screen: z.object({ type: z.literal('screen').default('screen'), ...views, ...common }),
  alias: z.object({ type: z.literal('alias').default('alias'), ...aliasShape }),
} satisfies Record<TSegmentCallType, z.ZodType<TSegmentMessage, unknown>>;

export interface SegmentSkip {
  messageId?: string;
  reason: string;
}

/**
 * A batch as Segment's SDKs send it. Only the envelope is checked here; each message is read on its
 * own (`readSegmentBatch`), so one bad message costs only itself.
 */
export const ZSegmentBatch = z
  .object({
    batch: z
      .array(z.unknown())
      .min(1)
      .max(L.batchMessages)
      .describe(
        `Segment messages, each a ${SEGMENT_CALL_TYPES.join(', ')} call (the same body as that call's route, with \`type\`). ` +
          'Each is read on its own: one that is invalid or of an unknown type is answered in `skipped` with its field (batch.N.field), the rest are taken.',
      ),
  })
  .transform(({ batch }) => readSegmentBatch(batch));

/** Reads each message of a batch on its own; the unreadable ones come back as skipped, with why. */
export function readSegmentBatch(batch: unknown[]): { messages: TSegmentMessage[]; skipped: SegmentSkip[] } {
  const messages: TSegmentMessage[] = [];
  const skipped: SegmentSkip[] = [];
  batch.forEach((item, index) => {
    const where = `batch.${index}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      skipped.push({ reason: `${where}: not a Segment message (an object)` });
      return;
    }
    const raw = item as Record<string, unknown>;
    const readableId = common.messageId.safeParse(raw.messageId);
    const messageId = readableId.success ? readableId.data : undefined;
    const type = raw.type;
    if (typeof type !== 'string' || !(SEGMENT_CALL_TYPES as string[]).includes(type)) {
      const sent = typeof type === 'string' ? `unknown Segment call type ${JSON.stringify(type.slice(0, L.nameLength))}` : 'no type';
      skipped.push({ messageId, reason: `${where}.type: ${sent}; one of ${SEGMENT_CALL_TYPES.join(', ')}` });
      return;
    }
    const parsed = BATCH_SCHEMAS[type as TSegmentCallType].safeParse(raw);
    if (parsed.success) messages.push(parsed.data);
    else skipped.push({ messageId, reason: parsed.error.issues.map((i) => `${[where, ...i.path].join('.')}: ${i.message}`).join('; ') });
  });
  return { messages, skipped };
}

/** What may be parked: tracks, and aliases between two ids neither of which is tied yet. */
const ZParkedMessage = z.discriminatedUnion('type', [ZSegmentTrack, ZSegmentAlias]);

const who = (m: { userId?: string; anonymousId?: string }) => m.userId ?? m.anonymousId;

export interface SegmentIntake {
  events: IncomingEvent[];
  /** Messages that cannot become events, with why (answered to the sender; nothing kept). */
  skipped: SegmentSkip[];
  /** Tracks (and aliases) from users not yet tied to a customer: kept until a call ties them. */
  parked: { messageId: string; userId: string }[];
  /** Parked messages among `events`, to forget once their events are accepted (`forgetParked`). */
  unparked: string[];
}

/**
 * Turns Segment messages into customer events. Identities learned from group, identify and alias
 * are stored, and messages parked earlier for those users come back now: tracks as events,
 * aliases applied (which may tie further ids, whose parked messages come back too).
 */
export async function fromSegment(prisma: PrismaClient, messages: TSegmentMessage[], now = new Date()): Promise<SegmentIntake> {
  const skipped: SegmentIntake['skipped'] = [];
  const parked: SegmentIntake['parked'] = [];
  const toPark: Array<{ messageId: string; userId: string; message: object }> = [];
  const park = (m: TSegmentTrack | TSegmentAlias, userId: string, message: object) => {
    toPark.push({ messageId: m.messageId!, userId, message: JSON.parse(JSON.stringify(message)) });
    parked.push({ messageId: m.messageId!, userId });
  };

  // Ties this request makes (stored below), and the stored ties of users it mentions.
  const learned = new Map<string, string>();
  const stored = new Map<string, string | undefined>();
  const loadTies = async (users: string[]) => {
    const missing = [...new Set(users)].filter((u) => !learned.has(u) && !stored.has(u));
    if (missing.length === 0) return;
    const rows = await prisma.segmentIdentity.findMany({ where: { userId: { in: missing } } });
    for (const u of missing) stored.set(u, rows.find((r) => r.userId === u)?.customerId);
  };
  const tieOf = (user: string) => learned.get(user) ?? stored.get(user);

  for (const m of messages) {
    const user = who(m);
    const customerId =
      m.type === 'group' ? m.groupId : m.type === 'identify' ? (stringTrait(m.traits, 'groupId') ?? stringTrait(m.traits, 'customerId')) : undefined;
    if (user && customerId) learned.set(user, customerId);
  }

  // Aliases and parked messages feed each other: an alias ties an id, whose parked messages may hold
  // a further alias. Each user's parked messages are read once, so this ends.
  let aliases = messages.filter((m): m is TSegmentAlias => m.type === 'alias');
  const unparkedTracks: TSegmentTrack[] = [];
  const unparked = new Set<string>();
  const appliedParkedAliases: string[] = [];
  const unreadableParked: string[] = [];
  const visited = new Set<string>();
  for (;;) {
    await loadTies(aliases.flatMap((a) => [a.userId, a.previousId]));
    for (let changed = true; changed;) {
      changed = false;
      aliases = aliases.filter((a) => {
        const newer = tieOf(a.userId);
        const older = tieOf(a.previousId);
        if (!newer && !older) return true;
        // Both tied (perhaps to different customers): the explicit group/identify ties stand.
        if (newer && older) return false;
        if (older) learned.set(a.userId, older);
        else learned.set(a.previousId, newer!);
        changed = true;
        return false;
      });
    }
    const fresh = [...learned.keys()].filter((u) => !visited.has(u));
    if (fresh.length === 0) break;
    for (const u of fresh) visited.add(u);
    const rows = await prisma.segmentParkedMessage.findMany({ where: { userId: { in: fresh } }, orderBy: { receivedAt: 'asc' } });
    for (const row of rows) {
      const read = ZParkedMessage.safeParse(row.message);
      if (!read.success) {
        // Kept by an older version under looser rules: say so once, rather than fail every call.
        skipped.push({
          messageId: row.messageId,
          reason: `parked message no longer readable: ${read.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        });
        unreadableParked.push(row.messageId);
      } else if (read.data.type === 'alias') {
        aliases.push(read.data);
        appliedParkedAliases.push(row.messageId);
      } else {
        unparkedTracks.push(read.data);
        unparked.add(row.messageId);
      }
    }
  }
  for (const [userId, customerId] of learned) {
    await prisma.segmentIdentity.upsert({ where: { userId }, create: { userId, customerId }, update: { customerId } });
  }
  // A parked alias is read only once its userId is tied, so by now it has been applied.
  await forgetParked(prisma, [...appliedParkedAliases, ...unreadableParked]);
  for (const a of aliases) {
    if (!a.messageId)
      skipped.push({ reason: `alias of ${a.previousId} to ${a.userId} has no messageId, and neither id is tied to a customer yet, so it cannot be kept` });
    else park(a, a.userId, a);
  }

  const tracks = [...unparkedTracks, ...messages.filter((m): m is TSegmentTrack => m.type === 'track')];
  const viewMessages = messages.filter((m): m is TSegmentView => m.type === 'page' || m.type === 'screen');
  await loadTies([...tracks, ...viewMessages].flatMap((m) => (who(m) ? [who(m)!] : [])));

  const events: IncomingEvent[] = [];
  for (const m of [...tracks, ...viewMessages]) {
    const what = m.type === 'track' ? `track "${m.event}"` : `${m.type}${m.name ? ` "${m.name}"` : ''}`;
    if (!m.messageId) {
      skipped.push({ reason: `${what} has no messageId, so a retry could not be told from a new event` });
      continue;
    }
    const parsed = ZCustomerEvent.safeParse(m.type === 'track' ? trackToEvent(m, now) : viewToEvent(m, now));
    if (!parsed.success) {
      skipped.push({ messageId: m.messageId, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      continue;
    }
    const user = who(m);
    const customerId = stringTrait(m.properties, 'customerId') ?? m.context?.groupId ?? (user ? tieOf(user) : undefined);
    if (!customerId) {
      if (!user) {
        skipped.push({ messageId: m.messageId, reason: 'no userId or anonymousId and no customer: send properties.customerId or context.groupId' });
      } else if (m.type !== 'track') {
        skipped.push({
          messageId: m.messageId,
          reason: `${m.type} from ${user}, whom no group, identify or alias call has tied to a customer: views are counted only once the user is tied (they are not kept); send properties.customerId or context.groupId`,
        });
      } else {
        // Kept with the time it happened, so it counts on the right day when it is delivered later.
        park(m, user, { ...m, timestamp: parsed.data.occurredAt });
      }
      continue;
    }
    events.push({ customerId, event: parsed.data });
  }
  if (toPark.length > 0) await prisma.segmentParkedMessage.createMany({ data: toPark, skipDuplicates: true });
  return {
    events,
    skipped,
    parked,
    unparked: events.flatMap((e) => (unparked.has(e.event.id.replace(/^segment:/, '')) ? [e.event.id.replace(/^segment:/, '')] : [])),
  };
}

/** Drops parked messages whose events have been accepted. */
export async function forgetParked(prisma: PrismaClient, messageIds: string[]): Promise<void> {
  if (messageIds.length > 0) await prisma.segmentParkedMessage.deleteMany({ where: { messageId: { in: messageIds } } });
}

/**
 * Drops at most `limit` parked messages received before `olderThan` (no call tied their user in
 * time: `SEGMENT_PARKED_TTL_DAYS`), oldest first; returns how many it dropped. The maintenance
 * schedule runs it, so a busy backlog is worked off a bounded batch per run.
 */
export async function expireParkedMessages(prisma: PrismaClient, { olderThan, limit = 1_000 }: { olderThan: Date; limit?: number }): Promise<number> {
  const expired = await prisma.segmentParkedMessage.findMany({
    where: { receivedAt: { lt: olderThan } },
    orderBy: { receivedAt: 'asc' },
    take: limit,
    select: { messageId: true },
  });
  if (expired.length === 0) return 0;
  // The age is checked again: a message parked anew under the same id since the read is kept.
  const { count } = await prisma.segmentParkedMessage.deleteMany({
    where: { messageId: { in: expired.map((m) => m.messageId) }, receivedAt: { lt: olderThan } },
  });
  return count;
}

function stringTrait(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

type LooseEvent = Omit<TCustomerEvent, 'type'> & { type: string } & Record<string, unknown>;

function occurrence(m: { messageId?: string; timestamp?: string }, now: Date): { id: string; occurredAt: string } {
  // An unreadable timestamp stays as sent, so validation names it instead of a 500 losing the batch.
  const when = m.timestamp === undefined ? now : new Date(m.timestamp);
  return { id: `segment:${m.messageId}`, occurredAt: Number.isNaN(when.getTime()) ? String(m.timestamp) : when.toISOString() };
}

function trackToEvent(m: TSegmentTrack, now: Date): LooseEvent {
  const { id, occurredAt } = occurrence(m, now);
  const p = m.properties;
  const name = m.event.trim().toLowerCase();
  if (name === 'milestone reached') return { id, occurredAt, type: 'milestone', milestone: p.milestone };
  if (name === 'survey responded') return { id, occurredAt, type: 'survey', survey: p.survey, score: p.score, ...(p.comment ? { comment: p.comment } : {}) };
  const ticket = /^ticket (opened|updated|resolved)$/.exec(name);
  if (ticket)
    return {
      id,
      occurredAt,
      type: 'ticket',
      ticketId: p.ticketId === undefined ? undefined : String(p.ticketId),
      action: ticket[1],
      severity: p.severity ?? 'medium',
    };
  const login = /^(logged|signed) in$/.test(name);
  return {
    id,
    occurredAt,
    type: 'usage',
    logins: login ? 1 : 0,
    keyFeaturesUsed: typeof p.feature === 'string' ? [p.feature] : [],
    ...(login ? { lastLoginAt: occurredAt } : {}),
  };
}

/** A page or screen view: product usage, never a login (being signed in is not signing in). */
function viewToEvent(m: TSegmentView, now: Date): LooseEvent {
  const { id, occurredAt } = occurrence(m, now);
  return { id, occurredAt, type: 'usage', logins: 0, keyFeaturesUsed: typeof m.properties.feature === 'string' ? [m.properties.feature] : [] };
}
