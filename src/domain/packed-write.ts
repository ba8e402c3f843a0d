/**
 * The lean step's write travels to its activity as UTF-8 JSON bytes (a `binary/plain` payload)
 * rather than as a JSON payload, so the worker's codec (`PackedWriteCodec`, in
 * `src/temporal/payload-codec.ts`) can deflate it into the history against a dictionary made for
 * it: the write was about half of a customer-year's history bytes (timeline entries and health
 * explanations, `src/bench/RESULTS.md`) and compresses about tenfold. Sandbox-safe (TextEncoder
 * and Uint8Array only): the workflow packs, the activity unpacks.
 */
import type { LifecycleWrite } from './lifecycle-step';

/** A `LifecycleWrite` as JSON bytes, after `PACKED_WRITE_MARK`. */
export type PackedWrite = Uint8Array;

/**
 * What packed-write bytes start with: the codec deflates bytes that carry it and no others, so a
 * Uint8Array some other code passes one day stays as it was.
 */
export const PACKED_WRITE_MARK = 'cs-write/1\n';
const MARK_BYTES = Array.from(PACKED_WRITE_MARK, (char) => char.charCodeAt(0));

export function packWrite(write: LifecycleWrite): PackedWrite {
  // Copied into this realm's Uint8Array: the sandbox's TextEncoder is the host's, and the payload
  // converter recognises bytes by `instanceof Uint8Array`.
  return new Uint8Array(new TextEncoder().encode(PACKED_WRITE_MARK + JSON.stringify(write)));
}

export function isPackedWrite(bytes: Uint8Array): boolean {
  return bytes.length > MARK_BYTES.length && MARK_BYTES.every((byte, i) => bytes[i] === byte);
}

/** The JSON text of a packed write. */
export function packedWriteJson(bytes: Uint8Array): string {
  return new TextDecoder().decode(isPackedWrite(bytes) ? bytes.subarray(MARK_BYTES.length) : bytes);
}

/** The write a packed input holds; any other input (histories from before packing) as it came. */
export function unpackWrite<Other>(input: PackedWrite | Other): LifecycleWrite | Other {
  if (!(input instanceof Uint8Array)) return input;
  return JSON.parse(packedWriteJson(input)) as LifecycleWrite;
}
