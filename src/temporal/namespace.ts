/**
 * Prepares a Temporal namespace for the engine: registers the search attributes the workflows
 * upsert (an unregistered one fails the customer's workflow task) and, on servers we own, sets a
 * retention long enough that closed and continued-as-new runs outlive the default 24 h.
 */
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../domain/search-attributes';

const GRPC_UNIMPLEMENTED = 12;

/** Adds every project search attribute the namespace lacks; safe to repeat. */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  let known: Set<string>;
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
  } catch (error) {
    // The Java time-skipping test server can add attributes but not list them; each of its
    // environments starts empty, so "nothing known" is exact there.
    if ((error as { code?: number }).code !== GRPC_UNIMPLEMENTED) throw error;
    known = new Set();
  }
  const missing = ALL_SEARCH_ATTRIBUTE_KEYS.filter((key) => !known.has(key.name));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexedValueType(key)])),
  });
}

export async function setRetention(connection: Connection, namespace: string, retentionDays: number): Promise<void> {
  await connection.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: msToTs(retentionDays * 24 * 60 * 60 * 1000) },
  });
}

function indexedValueType(key: SearchAttributeKey<SearchAttributeType>): temporal.api.enums.v1.IndexedValueType {
  const { IndexedValueType } = temporal.api.enums.v1;
  const byType: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
    [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
    [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
    [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  };
  return byType[key.type];
}
