/**
 * The Temporal Web UI's remote codec (`/codec`): the UI posts a history's payloads and shows what
 * comes back. Driven through the Hono app itself (it reads nothing: no servers needed).
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { createCodecApp, webUiOrigins } from '../../src/api/codec-endpoint';
import type { LifecycleWrite } from '../../src/domain/lifecycle-step';
import { packWrite } from '../../src/domain/packed-write';
import { PackedWriteCodec, WRITE_DICTIONARY_V1 } from '../../src/temporal/payload-codec';

const UI = 'http://127.0.0.1:8233';
const app = createCodecApp({ uiOrigins: webUiOrigins(`${UI}/namespaces/default/workflows`) });
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const encoding = (payload: Payload) => Buffer.from(payload.metadata!.encoding!).toString();
const asJson = (payload: Payload) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
  data: b64(payload.data ?? new Uint8Array()),
});
const post = (path: string, body: unknown) =>
  app.request(path, { method: 'POST', headers: { origin: UI, 'content-type': 'application/json', 'x-namespace': 'default' }, body: JSON.stringify(body) });
const write = JSON.parse(WRITE_DICTIONARY_V1) as LifecycleWrite;

describe('the Web UI codec endpoint', () => {
  it('shows the deflated write as the JSON it was, and leaves other payloads alone', async () => {
    const [stored] = await new PackedWriteCodec().encode([defaultPayloadConverter.toPayload(packWrite(write))]);
    const signal = asJson(defaultPayloadConverter.toPayload({ events: [] }));
    const response = await post('/decode', { payloads: [asJson(stored!), signal] });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(UI);
    const { payloads } = (await response.json()) as { payloads: { metadata: { encoding: string }; data: string }[] };
    expect(Buffer.from(payloads[0]!.metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(payloads[0]!.data, 'base64').toString())).toEqual(write);
    expect(payloads[1]).toEqual(signal);
  });

  it('answers the browser preflight from the UI origin', async () => {
    const response = await app.request('/decode', {
      method: 'OPTIONS',
      headers: { origin: UI, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(UI);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/x-namespace/);
  });

  it('gives browsers on other origins no CORS headers, so their pages cannot call it', async () => {
    const response = await app.request('/decode', {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{"payloads":[]}',
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(webUiOrigins('http://localhost:8233/x')).toEqual(['http://localhost:8233', 'http://127.0.0.1:8233']);
    expect(webUiOrigins(undefined)).toEqual([]);
  });

  it('encodes nothing: what the UI sends (signal input) goes on as it is', async () => {
    const payloads = [asJson(defaultPayloadConverter.toPayload({ id: 'e1' }))];
    expect(await (await post('/encode', { payloads })).json()).toEqual({ payloads });
  });

  it.each<[string, unknown, number, RegExp]>([
    ['not base64', { payloads: [{ metadata: { encoding: '!!' }, data: '' }] }, 422, /payloads\.0\.metadata\.encoding: must be base64/],
    ['101 payloads', { payloads: Array.from({ length: 101 }, () => ({})) }, 422, /"path":"payloads"/],
    ['no payloads list', { nothing: true }, 422, /payloads/],
    [
      'a corrupt deflated write',
      { payloads: [{ metadata: { encoding: b64(Buffer.from('binary/deflate-write-v1')) }, data: b64(Buffer.from('not deflate')) }] },
      422,
      /payloads\.0\.data: not a binary\/deflate-write-v1 payload/,
    ],
    ['a body over 1 MiB', { payloads: [{ data: 'A'.repeat(1024 * 1024 + 4) }] }, 413, /payload_too_large/],
  ])('refuses %s with what is wrong and where', async (_, body, status, message) => {
    const response = await post('/decode', body);
    expect(response.status).toBe(status);
    expect(await response.text()).toMatch(message);
  });

  it('refuses a request whose payloads would inflate past 4 MiB in all', async () => {
    // A mark, then 1 MiB of spaces: a few KiB deflated, so five of them pass the body limit, not the inflated one.
    const big = new Uint8Array(Buffer.from(`cs-write/1\n${' '.repeat(1024 * 1024)}{}`));
    const [bomb] = await new PackedWriteCodec().encode([defaultPayloadConverter.toPayload(big)]);
    expect(encoding(bomb!)).toBe('binary/deflate-write-v1');
    const response = await post('/decode', { payloads: Array.from({ length: 5 }, () => asJson(bomb!)) });
    expect(response.status).toBe(422);
    expect(await response.text()).toMatch(/payloads\.3\.data: inflates to more than the 4 MiB/);
  });

  it('decodes two requests at a time and asks a third to come back', async () => {
    const [stored] = await new PackedWriteCodec().encode([defaultPayloadConverter.toPayload(packWrite(write))]);
    const statuses = (await Promise.all([1, 2, 3].map(() => post('/decode', { payloads: [asJson(stored!)] })))).map((r) => r.status);
    expect(statuses.sort()).toEqual([200, 200, 503]);
    expect((await post('/decode', { payloads: [asJson(stored!)] })).status).toBe(200);
  });

  it('leaves bytes that are not a packed write as they came', async () => {
    const [stored] = await new PackedWriteCodec().encode([defaultPayloadConverter.toPayload(new Uint8Array([1, 2, 3]))]);
    expect(encoding(stored!)).toBe('binary/plain');
  });
});
