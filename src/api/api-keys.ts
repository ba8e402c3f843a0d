/**
 * API keys: random secrets shown once at creation, stored only as SHA-256 hashes (a leaked table
 * does not leak keys), each with scopes. `csk_` prefix so a key found in a log is recognisable.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client';

/** `keys:write` is the admin scope: it creates and revokes keys (`/v1/api-keys`). */
export const API_SCOPES = ['events:write', 'customers:write', 'read', 'tasks:write', 'keys:write'] as const;
export type ApiScope = (typeof API_SCOPES)[number];
/** What a key gets when no scopes are named: everything but the admin scope, which is asked for by name. */
export const DEFAULT_API_SCOPES: readonly ApiScope[] = ['events:write', 'customers:write', 'read', 'tasks:write'];
/** Key names: what `cli api-key` and `/v1/api-keys` accept. */
export const API_KEY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

const LAST_USED_RESOLUTION_MS = 60_000;

const hash = (key: string) => createHash('sha256').update(key).digest('hex');

/** A key name is unique for good (a revoked key keeps its name), so a second create is refused. */
export class ApiKeyNameTakenError extends Error {
  override readonly name = 'ApiKeyNameTakenError';
  constructor(readonly keyName: string) {
    super(`an API key named "${keyName}" exists already (revoked keys keep their name): choose another name`);
  }
}

export async function createApiKey(prisma: PrismaClient, name: string, scopes: readonly ApiScope[] = DEFAULT_API_SCOPES): Promise<string> {
  const key = `csk_${randomBytes(24).toString('base64url')}`;
  // ON CONFLICT DO NOTHING: a taken name is told by the count, not by parsing a driver's error.
  const { count } = await prisma.apiKey.createMany({
    data: [{ name, keyHash: hash(key), prefix: key.slice(0, 8), scopes: [...scopes] }],
    skipDuplicates: true,
  });
  if (count === 0) throw new ApiKeyNameTakenError(name);
  return key;
}

export async function revokeApiKey(prisma: PrismaClient, name: string): Promise<boolean> {
  const { count } = await prisma.apiKey.updateMany({ where: { name, revokedAt: null }, data: { revokedAt: new Date() } });
  return count > 0;
}

/** Adds `scopes` to the key (a key made by an older version lacks scopes added since). */
export async function grantApiKeyScopes(prisma: PrismaClient, presented: string, scopes: readonly ApiScope[]): Promise<void> {
  const row = await prisma.apiKey.findUnique({ where: { keyHash: hash(presented) }, select: { id: true, scopes: true } });
  if (!row) return;
  const missing = scopes.filter((scope) => !row.scopes.includes(scope));
  if (missing.length > 0) await prisma.apiKey.update({ where: { id: row.id }, data: { scopes: [...row.scopes, ...missing] } });
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
