/**
 * The worker's payload codec: deflates the lean step's packed write (`src/domain/packed-write.ts`:
 * `binary/plain` bytes that start with its mark, no other payload) against its dictionary before it
 * goes into the history, and inflates it for the activity. Every other payload passes untouched,
 * so signals, queries, play inputs and search attributes stay readable in the Temporal Web UI; the
 * write's input shows there as JSON through the API's codec endpoint (`src/api/codec-endpoint.ts`),
 * as `binary/deflate-write-v1` bytes without it.
 *
 * Only workers need it: nothing else reads an activity's input. A worker without it (a release
 * from before it, during a rolling deploy) fails the write activity on the unknown encoding, and
 * the activity's retries (without end) wait for a worker that has it: nothing is lost, but a
 * roll-back to such a release leaves the customers with a packed write waiting until a worker of
 * this release runs again.
 */
import { promisify } from 'node:util';
import { deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { isPackedWrite } from '../domain/packed-write';

export const PACKED_WRITE_ENCODING = 'binary/deflate-write-v1';
/**
 * The deflate dictionary of `binary/deflate-write-v1`: a made-up write with the keys, kinds and
 * metric names real ones repeat. **Never change it**: histories hold writes deflated against it.
 * A better one is a new encoding beside this one.
 */
export const WRITE_DICTIONARY_V1 =
  '{"writeVersion":2,"workflowId":"customer:acme","customerId":"acme","definitionVersion":"2026.1.1","entries":[{"at":"2026-01-05T09:00:00.000Z","kind":"event","summary":"usage: 120 logins, 40 active users","cause":{"type":"event","id":"usage:acme:2026-01-04T09:00:00.000Z/2026-01-05T09:00:00.000Z","eventType":"usage"},"detail":{"eventType":"usage"},"seq":10,"definitionVersion":"2026.1.1"},{"at":"2026-01-05T09:00:00.000Z","kind":"event","summary":"ticket opened: high severity","cause":{"type":"event","id":"ticket:acme:t-1","eventType":"ticket"},"detail":{"eventType":"ticket"},"seq":11,"definitionVersion":"2026.1.1"},{"at":"2026-01-05T09:00:00.000Z","kind":"health","summary":"health 83.1 -> 79.6 (yellow)","cause":{"type":"rule","id":"health_check"},"detail":{"score":79.6,"band":"yellow","model":"default","conditions":""},"seq":12,"definitionVersion":"2026.1.1"},{"at":"2026-01-05T09:00:00.000Z","kind":"play","summary":"play yellow_account started: health band green -> yellow","cause":{"type":"rule","id":"play:onboarding_stall"},"detail":{"playId":"yellow_account","runId":"customer:acme/play/yellow_account/1","started":true},"seq":13,"definitionVersion":"2026.1.1"},{"at":"2026-01-05T09:00:00.000Z","kind":"stage","summary":"onboarding -> adoption: exit criteria met","cause":{"type":"event","id":"milestone:acme:first_value","eventType":"milestone"},"detail":{"from":"onboarding","to":"adoption"},"seq":14,"definitionVersion":"2026.1.1"},{"at":"2026-01-05T09:00:00.000Z","kind":"timer","summary":"QBR #1 (Enterprise (high touch), every 90 days)","cause":{"type":"timer","id":"qbr:enterprise:1"},"detail":{"timerKind":"qbr"},"seq":15,"definitionVersion":"2026.1.1"},{"at":"2026-01-05T09:00:00.000Z","kind":"sla","summary":"expansion is behind (90 days in stage)","cause":{"type":"timer","id":"stage_sla:expansion:behind:2026-01-05T09:00:00.000Z"},"detail":{"stage":"expansion","sla":"behind"},"seq":16,"definitionVersion":"2026.1.1"},{"at":"2026-01-05T09:00:00.000Z","kind":"event","summary":"survey nps: 9","cause":{"type":"event","id":"survey:acme:s-1","eventType":"survey"},"detail":{"eventType":"survey"},"seq":17,"definitionVersion":"2026.1.1"}],"stageMoves":[{"from":"onboarding","to":"adoption"}],"healthSnapshot":{"score":79.6,"band":"yellow","model":"default","definitionVersion":"2026.1.1","missing":["stakeholdersEngaged","executiveSponsorEngaged","csmSentiment","nps","ces","csat","daysSinceLastLogin","seatUtilization","keyFeatureAdoption"],"knownWeight":0.715,"conditions":[],"dimensions":[{"id":"usage","label":"Usage","score":89.6,"effectiveWeight":0.35,"inputs":[{"metric":"daysSinceLastLogin","value":5.3,"score":82.3,"effectiveWeight":0.105,"points":8.6},{"metric":"seatUtilization","value":0.82,"score":100,"effectiveWeight":0.0875,"points":8.8},{"metric":"keyFeatureAdoption","value":1,"score":100,"effectiveWeight":0.105,"points":10.5},{"metric":"loginTrend","value":-0.13,"score":66.3,"effectiveWeight":0.0525,"points":3.5}]},{"id":"engagement","label":"Engagement","score":100,"effectiveWeight":0.25,"inputs":[{"metric":"stakeholdersEngaged","value":null,"score":null,"effectiveWeight":0,"points":0},{"metric":"championPresent","value":1,"score":100,"effectiveWeight":0.25,"points":25},{"metric":"executiveSponsorEngaged","value":null,"score":null,"effectiveWeight":0,"points":0},{"metric":"csmSentiment","value":null,"score":null,"effectiveWeight":0,"points":0}]},{"id":"outcomes","label":"Business outcomes","score":33.3,"effectiveWeight":0.25,"inputs":[{"metric":"outcomesAchieved","value":1,"score":33.3,"effectiveWeight":0.25,"points":8.3},{"metric":"nps","value":null,"score":null,"effectiveWeight":0,"points":0}]},{"id":"relationship","label":"Relationship","score":99.1,"effectiveWeight":0.15,"inputs":[{"metric":"csat","value":4.9,"score":97.5,"effectiveWeight":0.052941176470588235,"points":5.2},{"metric":"openHighSeverityTickets","value":0,"score":100,"effectiveWeight":0.052941176470588235,"points":5.3},{"metric":"paymentCurrent","value":1,"score":100,"effectiveWeight":0.04411764705882353,"points":4.4},{"metric":"ces","value":null,"score":null,"effectiveWeight":0,"points":0}]}],"at":"2026-01-05T09:00:00.000Z","trend":"flat"},"row":{"stage":"adoption","healthScore":79.6,"healthBand":"yellow","contractStatus":"active"},"readModel":[]}';

const ENCODING_KEY = 'encoding';
const PLAIN_BINARY = 'binary/plain';
const DICTIONARY = Buffer.from(WRITE_DICTIONARY_V1, 'utf8');
/** Far above any write (Temporal refuses payloads over 2 MB); a corrupt payload cannot inflate without end. */
const MAX_INFLATED_BYTES = 8 * 1024 * 1024;

const encodingOf = (payload: Payload): string | undefined =>
  payload.metadata?.[ENCODING_KEY] ? Buffer.from(payload.metadata[ENCODING_KEY]).toString('utf8') : undefined;

const withEncoding = (payload: Payload, encoding: string, data: Uint8Array): Payload => ({
  ...payload,
  metadata: { ...payload.metadata, [ENCODING_KEY]: new TextEncoder().encode(encoding) },
  data,
});

/** The packed write a `binary/deflate-write-v1` payload's data holds; at most `maxBytes` of it, off the event loop. */
export function inflatePackedWrite(data: Uint8Array, maxBytes: number): Promise<Buffer> {
  return promisify(inflateRaw)(data, { dictionary: DICTIONARY, maxOutputLength: maxBytes });
}

export class PackedWriteCodec implements PayloadCodec {
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) =>
      // Only packed writes, and none too big to inflate again (it goes on as it is, uncompressed).
      encodingOf(payload) === PLAIN_BINARY && payload.data && isPackedWrite(payload.data) && payload.data.length <= MAX_INFLATED_BYTES
        ? withEncoding(payload, PACKED_WRITE_ENCODING, deflateRawSync(payload.data, { dictionary: DICTIONARY }))
        : payload,
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) =>
      encodingOf(payload) === PACKED_WRITE_ENCODING && payload.data
        ? withEncoding(payload, PLAIN_BINARY, inflateRawSync(payload.data, { dictionary: DICTIONARY, maxOutputLength: MAX_INFLATED_BYTES }))
        : payload,
    );
  }
}
