/**
 * Published lifecycle definitions in PostgreSQL (`lifecycle_definition_versions`). A version's
 * content never changes once published: customers pinned to it, histories that loaded it and
 * backtests that name it all mean the same rules. Publishing the same content again is a no-op;
 * different content under a published version is refused. The current version (latest
 * `currentSince`) is what new customers start on.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { TLifecycleDefinition } from '../domain/lifecycle-definition';
import type { PrismaClient } from '../generated/prisma/client';
import { ZDefinitionVersion } from '../domain/definition-version';
import { SetupError } from '../dev-infra/setup-error';
import { parseLifecycleDefinition } from './load-definition';

export const ZPublishedBy = z.string().min(1).max(200);
export const ZPublishNote = z.string().max(2_000);

export interface PublishedDefinition {
  version: string;
  name: string;
  sha256: string;
  publishedBy: string;
  note: string | null;
  publishedAt: Date;
  currentSince: Date | null;
}

/** The version is published with other content: bump `version` for a changed definition. */
export class DefinitionVersionConflictError extends Error {
  override name = 'DefinitionVersionConflictError';
  constructor(
    readonly version: string,
    readonly publishedSha: string,
    readonly newSha: string,
  ) {
    super(
      `version ${version} is already published with different content (sha-256 ${publishedSha.slice(0, 12)}…, this one ${newSha.slice(0, 12)}…): a changed definition needs a new version`,
    );
  }
}

export class UnknownDefinitionVersionError extends Error {
  override name = 'UnknownDefinitionVersionError';
  constructor(readonly version: string) {
    super(`no lifecycle definition version ${version} is published (see \`lifecycle list\`)`);
  }
}

/** JSON with object keys sorted, so the hash names the content, not the order it was written in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const definitionSha256 = (definition: TLifecycleDefinition): string => createHash('sha256').update(canonicalJson(definition)).digest('hex');

const summaryOf = (row: PublishedDefinition): PublishedDefinition => ({
  version: row.version,
  name: row.name,
  sha256: row.sha256,
  publishedBy: row.publishedBy,
  note: row.note,
  publishedAt: row.publishedAt,
  currentSince: row.currentSince,
});

/**
 * Stores a validated definition under its version. `created` is false when the same content was
 * already there. With `current`, it becomes what new customers start on.
 */
export async function publishDefinition(
  prisma: PrismaClient,
  definition: TLifecycleDefinition,
  options: { by: string; note?: string; current?: boolean; now?: Date },
): Promise<{ created: boolean; madeCurrent: boolean; published: PublishedDefinition }> {
  const version = ZDefinitionVersion.parse(definition.version);
  const by = ZPublishedBy.parse(options.by);
  const note = options.note === undefined ? undefined : ZPublishNote.parse(options.note);
  const sha256 = definitionSha256(definition);
  const now = options.now ?? new Date();
  const existing = await prisma.lifecycleDefinitionVersion.findUnique({ where: { version } });
  // Stored content is compared as this engine reads it: a schema default added by a later release
  // changes the stored bytes' hash, not the rules.
  if (existing && existing.sha256 !== sha256 && !sameRules(existing.content, definition, version)) {
    throw new DefinitionVersionConflictError(version, existing.sha256, sha256);
  }
  let created = false;
  if (!existing) {
    // Two publishers of the same new version race on the primary key: the loser re-reads.
    const inserted = await prisma.lifecycleDefinitionVersion.createMany({
      data: [
        { version, name: definition.name, content: JSON.parse(JSON.stringify(definition)), sha256, publishedBy: by, note: note ?? null, publishedAt: now },
      ],
      skipDuplicates: true,
    });
    created = inserted.count === 1;
    if (!created) return publishDefinition(prisma, definition, options);
  }
  let madeCurrent = false;
  if (options.current) {
    const current = await currentVersion(prisma);
    if (current?.version !== version) {
      await prisma.lifecycleDefinitionVersion.update({ where: { version }, data: { currentSince: now } });
      madeCurrent = true;
    }
  }
  const row = await prisma.lifecycleDefinitionVersion.findUniqueOrThrow({ where: { version } });
  return { created, madeCurrent, published: summaryOf(row) };
}

function sameRules(stored: unknown, definition: TLifecycleDefinition, version: string): boolean {
  try {
    return canonicalJson(parseLifecycleDefinition(stored, `the published version ${version}`)) === canonicalJson(definition);
  } catch {
    return false;
  }
}

/** Makes a published version the current one. */
export async function makeCurrent(prisma: PrismaClient, version: string, now = new Date()): Promise<void> {
  const updated = await prisma.lifecycleDefinitionVersion.updateMany({ where: { version }, data: { currentSince: now } });
  if (updated.count === 0) throw new UnknownDefinitionVersionError(version);
}

export async function currentVersion(prisma: PrismaClient): Promise<PublishedDefinition | undefined> {
  const row = await prisma.lifecycleDefinitionVersion.findFirst({
    where: { currentSince: { not: null } },
    orderBy: [{ currentSince: 'desc' }, { publishedAt: 'desc' }],
  });
  return row ? summaryOf(row) : undefined;
}

/** A published version's definition, validated again (the schema may have gained defaults since). */
export async function findDefinition(prisma: PrismaClient, version: string): Promise<TLifecycleDefinition | undefined> {
  const row = await prisma.lifecycleDefinitionVersion.findUnique({ where: { version } });
  return row ? parseLifecycleDefinition(row.content, `the published version ${version}`) : undefined;
}

export async function loadDefinitionVersion(prisma: PrismaClient, version: string): Promise<TLifecycleDefinition> {
  const definition = await findDefinition(prisma, ZDefinitionVersion.parse(version));
  if (!definition) throw new UnknownDefinitionVersionError(version);
  return definition;
}

/** Newest first; at most `limit` (bounded: a long-lived engine publishes many). */
export async function listDefinitions(prisma: PrismaClient, limit = 200): Promise<PublishedDefinition[]> {
  const rows = await prisma.lifecycleDefinitionVersion.findMany({
    orderBy: { publishedAt: 'desc' },
    take: Math.min(Math.max(1, limit), 1_000),
    select: { version: true, name: true, sha256: true, publishedBy: true, note: true, publishedAt: true, currentSince: true },
  });
  return rows.map(summaryOf);
}

/** When each version was published, to tell an upgrade from a downgrade. */
export async function publishedAtOf(prisma: PrismaClient, versions: string[]): Promise<Map<string, Date>> {
  const rows = await prisma.lifecycleDefinitionVersion.findMany({ where: { version: { in: versions } }, select: { version: true, publishedAt: true } });
  return new Map(rows.map((row) => [row.version, row.publishedAt]));
}

/**
 * The worker's own definition, published when it starts so customers pinned to it find it. It
 * becomes current when LIFECYCLE_DEFINITION names it (development: the module you edit is what new
 * customers get) or when nothing is current yet (a new database gets the built-in default); a
 * version published since with `lifecycle publish --current` otherwise stays current across
 * restarts. Returns the line the worker prints.
 */
export async function publishWorkerDefinition(prisma: PrismaClient, definition: TLifecycleDefinition, options: { explicit: boolean }): Promise<string> {
  try {
    const current = await currentVersion(prisma);
    const result = await publishDefinition(prisma, definition, { by: 'worker start', current: options.explicit || current === undefined });
    const now = (await currentVersion(prisma))?.version;
    return `lifecycle definition ${definition.version}${result.created ? ' published' : ''}; new customers start on ${now ?? definition.version}`;
  } catch (error) {
    if (!(error instanceof DefinitionVersionConflictError)) throw error;
    throw new SetupError(
      `The lifecycle definition's version ${definition.version} is already published with different content; customers pinned to it would change rules silently.`,
      'Give the changed definition a new `version` (e.g. 2026.12.2), then start the worker again.',
      { cause: error },
    );
  }
}
