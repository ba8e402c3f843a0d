import { defaultPayloadConverter } from '@temporalio/common';
import type { LifecycleWrite } from '../../src/domain/lifecycle-step';
import { packWrite, unpackWrite } from '../../src/domain/packed-write';
import { PACKED_WRITE_ENCODING, PackedWriteCodec, WRITE_DICTIONARY_V1 } from '../../src/temporal/payload-codec';

const encoding = (payload: { metadata?: Record<string, Uint8Array> | null }) => Buffer.from(payload.metadata!.encoding!).toString();

// A write as the lean step makes one, with a health explanation: the bulk of real writes.
const write = JSON.parse(WRITE_DICTIONARY_V1.replaceAll('acme', 'globex').replaceAll('79.6', '64.2')) as LifecycleWrite;

describe('the packed write and its codec', () => {
  const codec = new PackedWriteCodec();

  it('deflates the packed write into the history and gives the activity back the same write', async () => {
    const payload = defaultPayloadConverter.toPayload(packWrite(write));
    expect(encoding(payload)).toBe('binary/plain');
    const [stored] = await codec.encode([payload]);
    expect(encoding(stored!)).toBe(PACKED_WRITE_ENCODING);
    expect(stored!.data!.length).toBeLessThan(payload.data!.length / 5);
    const [decoded] = await codec.decode([stored!]);
    expect(unpackWrite(defaultPayloadConverter.fromPayload(decoded!))).toEqual(write);
  });

  it('leaves every other payload as it is: JSON stays readable in the Web UI', async () => {
    const payloads = [defaultPayloadConverter.toPayload({ customerId: 'globex', events: [] }), defaultPayloadConverter.toPayload(undefined)];
    expect(await codec.encode(payloads)).toEqual(payloads);
    expect(await codec.decode(payloads)).toEqual(payloads);
  });

  it('hands the activity a write from before packing (plain JSON) unchanged', () => {
    expect(unpackWrite(write)).toBe(write);
  });

  it('refuses a corrupt packed payload with an error instead of a wrong write', async () => {
    const [stored] = await codec.encode([defaultPayloadConverter.toPayload(packWrite(write))]);
    const corrupt = { ...stored!, data: stored!.data!.slice(0, 20) };
    await expect(codec.decode([corrupt])).rejects.toThrow();
  });
});
