/**
 * Segment-spec payloads (`track`, `identify`, `group`, `batch`) accepted unchanged, so a product
 * analytics pipeline can forward to the engine as it is (Segment's own SDKs included: they
 * authenticate with the write key as the Basic-auth user name, here an API key).
 *
 * Mapping: `group` ties a user to a customer (groupId = customer id); `identify` may too, with a
 * `groupId` or `customerId` trait. A `track` reaches its customer through `properties.customerId`,
 * `context.groupId` or the user's group. Named events become lifecycle events — "Milestone
 * Reached" (properties.milestone), "Survey Responded" (survey, score), "Ticket Opened" / "Ticket
 * Updated" / "Ticket Resolved" (ticketId, severity) — and every other track is product usage (a
 * login when it is "Logged In" or "Signed In"; `properties.feature` names a key feature). Each
 * message's id is `segment:<messageId>`, so Segment's retries are recognised as repeats. A track
 * from a user no call has tied to a customer yet is parked, not dropped, and delivered once one does.
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
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored as PostgreSQL text or jsonb, or undefined when it can. */
export function unstorableText(value: string): string | undefined {
  const found = UNSTORABLE.exec(value);
  if (!found) return undefined;
  return found[0] === '\u0000' ? 'contains a NUL character, which cannot be stored' : 'contains a lone UTF-16 surrogate (broken Unicode), which cannot be stored';
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
const idError = { error: (issue: { input: unknown }) => (issue.input === undefined ? 'required: a string or an integer id' : 'expected a string or an integer id') };
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
  messageId: text(L.messageIdLength).min(1).optional().describe('Segment message id; the event id is `segment:<messageId>`, so a retry is recognised as a repeat'),
  userId: ZOptionalSegmentId,
  anonymousId: ZOptionalSegmentId,
  timestamp: text(L.timestampLength).optional(),
  context: ZContext,
};
const trackShape = { event: text(L.nameLength).min(1), properties: ZProperties, ...common };
export const ZSegmentTrack = z.object({ type: z.literal('track'), ...trackShape });
export const ZSegmentIdentify = z.object({ type: z.literal('identify'), traits: ZTraits, ...common });
export const ZSegmentGroup = z.object({ type: z.literal('group'), groupId: ZSegmentId.describe('The customer id'), traits: ZTraits, ...common });
export const ZSegmentMessage = z.discriminatedUnion('type', [ZSegmentTrack, ZSegmentIdentify, ZSegmentGroup]);
export type TSegmentMessage = z.infer<typeof ZSegmentMessage>;
export const ZSegmentBatch = z.object({ batch: z.array(ZSegmentMessage).min(1).max(L.batchMessages) });

const who = (m: TSegmentMessage) => m.userId ?? m.anonymousId;

export interface SegmentIntake {
  events: IncomingEvent[];
  /** Messages that cannot become events, with why (answered to the sender; nothing kept). */
  skipped: { messageId?: string; reason: string }[];
  /** Tracks from users not yet tied to a customer: kept until a group or identify call ties them. */
  parked: { messageId: string; userId: string }[];
  /** Parked messages among `events`, to forget once their events are accepted (`forgetParked`). */
  unparked: string[];
}

/**
 * Turns Segment messages into customer events. Identities learned from group/identify are stored,
 * and tracks parked earlier for those users come back as events now.
 */
export async function fromSegment(prisma: PrismaClient, messages: TSegmentMessage[], now = new Date()): Promise<SegmentIntake> {
  const skipped: SegmentIntake['skipped'] = [];
  const learned = new Map<string, string>();
  for (const m of messages) {
    const user = who(m);
    const customerId = m.type === 'group' ? m.groupId : m.type === 'identify' ? stringTrait(m.traits, 'groupId') ?? stringTrait(m.traits, 'customerId') : undefined;
    if (user && customerId) learned.set(user, customerId);
  }
  for (const [userId, customerId] of learned) {
    await prisma.segmentIdentity.upsert({ where: { userId }, create: { userId, customerId }, update: { customerId } });
  }
  const waiting = learned.size > 0 ? await prisma.segmentParkedMessage.findMany({ where: { userId: { in: [...learned.keys()] } }, orderBy: { receivedAt: 'asc' } }) : [];
  const unparked = new Set<string>();
  const unreadableParked: string[] = [];
  const waitingTracks: z.infer<typeof ZSegmentTrack>[] = [];
  for (const row of waiting) {
    const read = ZSegmentTrack.safeParse(row.message);
    if (read.success) {
      waitingTracks.push(read.data);
      unparked.add(row.messageId);
    } else {
      // Kept by an older version under looser rules: say so once, rather than fail every call.
      skipped.push({ messageId: row.messageId, reason: `parked message no longer readable: ${read.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
      unreadableParked.push(row.messageId);
    }
  }
  await forgetParked(prisma, unreadableParked);
  const tracks = [...waitingTracks, ...messages.filter((m): m is z.infer<typeof ZSegmentTrack> => m.type === 'track')];
  const users = [...new Set(tracks.flatMap((m) => (who(m) ? [who(m)!] : [])))];
  const known = new Map((await prisma.segmentIdentity.findMany({ where: { userId: { in: users } } })).map((row) => [row.userId, row.customerId]));

  const events: IncomingEvent[] = [];
  const parked: SegmentIntake['parked'] = [];
  const toPark: Array<{ messageId: string; userId: string; message: object }> = [];
  for (const m of tracks) {
    if (!m.messageId) {
      skipped.push({ reason: `track "${m.event}" has no messageId, so a retry could not be told from a new event` });
      continue;
    }
    const parsed = ZCustomerEvent.safeParse(trackToEvent(m, now));
    if (!parsed.success) {
      skipped.push({ messageId: m.messageId, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      continue;
    }
    const user = who(m);
    const customerId = stringTrait(m.properties, 'customerId') ?? m.context?.groupId ?? (user ? known.get(user) ?? learned.get(user) : undefined);
    if (!customerId) {
      if (!user) {
        skipped.push({ messageId: m.messageId, reason: 'no userId or anonymousId and no customer: send properties.customerId or context.groupId' });
        continue;
      }
      // Kept with the time it happened, so it counts on the right day when it is delivered later.
      toPark.push({ messageId: m.messageId, userId: user, message: JSON.parse(JSON.stringify({ ...m, timestamp: parsed.data.occurredAt })) });
      parked.push({ messageId: m.messageId, userId: user });
      continue;
    }
    events.push({ customerId, event: parsed.data });
  }
  if (toPark.length > 0) await prisma.segmentParkedMessage.createMany({ data: toPark, skipDuplicates: true });
  return { events, skipped, parked, unparked: events.flatMap((e) => (unparked.has(e.event.id.replace(/^segment:/, '')) ? [e.event.id.replace(/^segment:/, '')] : [])) };
}

/** Drops parked messages whose events have been accepted. */
export async function forgetParked(prisma: PrismaClient, messageIds: string[]): Promise<void> {
  if (messageIds.length > 0) await prisma.segmentParkedMessage.deleteMany({ where: { messageId: { in: messageIds } } });
}

function stringTrait(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function trackToEvent(m: z.infer<typeof ZSegmentTrack>, now: Date): Omit<TCustomerEvent, 'type'> & { type: string } & Record<string, unknown> {
  const id = `segment:${m.messageId}`;
  // An unreadable timestamp stays as sent, so validation names it instead of a 500 losing the batch.
  const when = m.timestamp === undefined ? now : new Date(m.timestamp);
  const occurredAt = Number.isNaN(when.getTime()) ? String(m.timestamp) : when.toISOString();
  const p = m.properties;
  const name = m.event.trim().toLowerCase();
  if (name === 'milestone reached') return { id, occurredAt, type: 'milestone', milestone: p.milestone };
  if (name === 'survey responded') return { id, occurredAt, type: 'survey', survey: p.survey, score: p.score, ...(p.comment ? { comment: p.comment } : {}) };
  const ticket = /^ticket (opened|updated|resolved)$/.exec(name);
  if (ticket) return { id, occurredAt, type: 'ticket', ticketId: p.ticketId === undefined ? undefined : String(p.ticketId), action: ticket[1], severity: p.severity ?? 'medium' };
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
