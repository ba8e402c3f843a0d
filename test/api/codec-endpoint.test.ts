/**
 * The Temporal Web UI's remote codec (`/codec`): the UI posts a history's payloads and shows what
 * comes back. Driven through the Hono app itself (it reads nothing: no servers needed).
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { createCodecApp } from '../../src/api/codec-endpoint';
import type { LifecycleWrite } from '../../src/domain/lifecycle-step';
import { packWrite } from '../../src/domain/packed-write';
import { PackedWriteCodec, WRITE_DICTIONARY_V1 } from '../../src/temporal/payload-codec';

const app = createCodecApp();
const UI = 'http://127.0.0.1:8233';
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
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

  it('refuses a request whose writes would inflate past 16 MiB, without inflating them', async () => {
    // 1 MiB of zeros deflates to about a kilobyte: twenty of them pass the body limit, not the inflated one.
    const bomb = (await new PackedWriteCodec().encode([defaultPayloadConverter.toPayload(new Uint8Array(1024 * 1024))]))[0]!;
    const response = await post('/decode', { payloads: Array.from({ length: 20 }, () => asJson(bomb)) });
    expect(response.status).toBe(422);
    expect(await response.text()).toMatch(/inflates to more than the 16 MiB/);
  });
});
