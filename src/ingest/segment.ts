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
 */
import { z } from 'zod';
import type { TCustomerEvent } from '../domain/customer-events';
import { ZCustomerEvent } from '../domain/customer-events';
import type { PrismaClient } from '../generated/prisma/client';
import type { IncomingEvent } from './accept-events';

const ZContext = z.object({ groupId: z.string().optional() }).passthrough().optional();
const common = {
  messageId: z.string().min(1).optional(),
  userId: z.union([z.string(), z.number()]).transform(String).optional(),
  anonymousId: z.union([z.string(), z.number()]).transform(String).optional(),
  timestamp: z.union([z.string(), z.date()]).optional(),
  context: ZContext,
};
export const ZSegmentTrack = z.object({ type: z.literal('track'), event: z.string().min(1), properties: z.record(z.string(), z.unknown()).default({}), ...common }).passthrough();
export const ZSegmentIdentify = z.object({ type: z.literal('identify'), traits: z.record(z.string(), z.unknown()).default({}), ...common }).passthrough();
export const ZSegmentGroup = z.object({ type: z.literal('group'), groupId: z.union([z.string(), z.number()]).transform(String), traits: z.record(z.string(), z.unknown()).default({}), ...common }).passthrough();
export const ZSegmentMessage = z.discriminatedUnion('type', [ZSegmentTrack, ZSegmentIdentify, ZSegmentGroup]);
export type TSegmentMessage = z.infer<typeof ZSegmentMessage>;
export const ZSegmentBatch = z.object({ batch: z.array(ZSegmentMessage).min(1).max(1000) }).passthrough();

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
  const unparked = new Set(waiting.map((row) => row.messageId));
  const tracks = [
    ...waiting.map((row) => ZSegmentTrack.parse(row.message)),
    ...messages.filter((m): m is z.infer<typeof ZSegmentTrack> => m.type === 'track'),
  ];
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
