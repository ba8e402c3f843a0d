/**
 * API keys: random secrets shown once at creation, stored only as SHA-256 hashes (a leaked table
 * does not leak keys), each with scopes. `csk_` prefix so a key found in a log is recognisable.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client';

export const API_SCOPES = ['events:write', 'customers:write', 'read', 'tasks:write'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

const LAST_USED_RESOLUTION_MS = 60_000;

const hash = (key: string) => createHash('sha256').update(key).digest('hex');

export async function createApiKey(prisma: PrismaClient, name: string, scopes: readonly ApiScope[] = API_SCOPES): Promise<string> {
  const key = `csk_${randomBytes(24).toString('base64url')}`;
  await prisma.apiKey.create({ data: { name, keyHash: hash(key), prefix: key.slice(0, 8), scopes: [...scopes] } });
  return key;
}

export async function revokeApiKey(prisma: PrismaClient, name: string): Promise<boolean> {
  const { count } = await prisma.apiKey.updateMany({ where: { name, revokedAt: null }, data: { revokedAt: new Date() } });
  return count > 0;
}

/** The key's row when it exists; `revoked` tells a revoked key (403) from an unknown one (401). */
export async function findApiKey(prisma: PrismaClient, presented: string): Promise<{ name: string; scopes: string[]; revoked: boolean } | undefined> {
  const row = await prisma.apiKey.findUnique({ where: { keyHash: hash(presented) } });
  if (!row) return undefined;
  // "Last used" to the minute: a write on every request would cost each event a second database write.
  const now = new Date();
  if (!row.revokedAt && (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS)) {
    await prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  }
  return { name: row.name, scopes: row.scopes, revoked: row.revokedAt !== null };
}
