/**
 * The search attributes a CS lead filters customers by in the Temporal Web UI and that the CLI's
 * listings query (e.g. `HealthBand = "red" AND Stage = "retention"`). Sandbox-safe: workflows
 * upsert them; the dev-server provisioning registers every key listed here.
 *
 * Names are stored in the namespace and in every customer's visibility record: never rename one.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const StageKey = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);
export const HealthScoreKey = defineSearchAttributeKey('HealthScore', SearchAttributeType.DOUBLE);
export const HealthBandKey = defineSearchAttributeKey('HealthBand', SearchAttributeType.KEYWORD);
export const SegmentKey = defineSearchAttributeKey('Segment', SearchAttributeType.KEYWORD);
export const CsmOwnerKey = defineSearchAttributeKey('CsmOwner', SearchAttributeType.KEYWORD);
export const RenewalDateKey = defineSearchAttributeKey('RenewalDate', SearchAttributeType.DATETIME);
export const ArrKey = defineSearchAttributeKey('Arr', SearchAttributeType.DOUBLE);
export const LifecycleVersionKey = defineSearchAttributeKey('LifecycleVersion', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTE_KEYS = [
  CustomerIdKey,
  StageKey,
  HealthScoreKey,
  HealthBandKey,
  SegmentKey,
  CsmOwnerKey,
  RenewalDateKey,
  ArrKey,
  LifecycleVersionKey,
] as const;
