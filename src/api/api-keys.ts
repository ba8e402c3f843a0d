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
export async function findApiKey(prisma: PrismaClient, presented: string): Promise<FoundApiKey | undefined> {
  const row = await prisma.apiKey.findUnique({ where: { keyHash: hash(presented) } });
  if (!row) return undefined;
  // "Last used" to the minute: a write on every request would cost each event a second database write.
  const now = new Date();
  if (!row.revokedAt && (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS)) {
    await prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  }
  return { name: row.name, scopes: row.scopes, revoked: row.revokedAt !== null };
}

export type FoundApiKey = { name: string; scopes: string[]; revoked: boolean };

/**
 * How long one API process trusts what it read about a key. Looking the key up was one of a
 * single-event request's three database statements (`src/bench/RESULTS.md`, HTTP API); a key
 * revoked through another API process is refused there within this time, and at once here.
 */
export const API_KEY_CACHE_MS = 5_000;
/** Keys remembered at once: an API has a handful of callers; beyond this the oldest is forgotten. */
const API_KEY_CACHE_ENTRIES = 1_000;

/**
 * `findApiKey` remembered per presented key for `API_KEY_CACHE_MS`, so a busy caller costs the
 * database one look-up per key and moment rather than one per request. Unknown keys are not
 * remembered (a caller guessing keys must not fill the memory), revoked ones are; `forget` drops a
 * key this process revoked, and a look-up in flight is shared by the requests that wait for it.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { found: Promise<FoundApiKey | undefined>; at: number }>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: {
      /** Told after each look-up that reached the database (the API's availability log). */
      onLookedUp?: () => void;
      /** While true, every request looks its key up (the database is away: its return is noticed at once). */
      bypass?: () => boolean;
      now?: () => number;
    } = {},
  ) {}

  find(presented: string): Promise<FoundApiKey | undefined> {
    const now = this.options.now ?? Date.now;
    const keyHash = hash(presented);
    const cached = this.entries.get(keyHash);
    if (cached && now() - cached.at < API_KEY_CACHE_MS && !this.options.bypass?.()) return cached.found;
    this.entries.delete(keyHash);
    const found = findApiKey(this.prisma, presented);
    this.entries.set(keyHash, { found, at: now() });
    if (this.entries.size > API_KEY_CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    const drop = () => void (this.entries.get(keyHash)?.found === found && this.entries.delete(keyHash));
    found.then((key) => {
      this.options.onLookedUp?.();
      if (key === undefined) drop();
    }, drop);
    return found;
  }

  /** Every remembered key (a revoke through this process: its key is refused from the next request). */
  forget(): void {
    this.entries.clear();
  }
}
