/**
 * The lean step's write travels to its activity as UTF-8 JSON bytes (a `binary/plain` payload)
 * rather than as a JSON payload, so the worker's codec (`PackedWriteCodec`, in
 * `src/temporal/payload-codec.ts`) can deflate it into the history against a dictionary made for
 * it: the write was about half of a customer-year's history bytes (timeline entries and health
 * explanations, `src/bench/RESULTS.md`) and compresses about tenfold. Sandbox-safe (TextEncoder
 * and Uint8Array only): the workflow packs, the activity unpacks.
 */
import type { LifecycleWrite } from './lifecycle-step';

/** A `LifecycleWrite` as JSON bytes. */
export type PackedWrite = Uint8Array;

export function packWrite(write: LifecycleWrite): PackedWrite {
  // Copied into this realm's Uint8Array: the sandbox's TextEncoder is the host's, and the payload
  // converter recognises bytes by `instanceof Uint8Array`.
  return new Uint8Array(new TextEncoder().encode(JSON.stringify(write)));
}

/** The write a packed input holds; any other input (histories from before packing) as it came. */
export function unpackWrite<Other>(input: PackedWrite | Other): LifecycleWrite | Other {
  if (!(input instanceof Uint8Array)) return input;
  return JSON.parse(new TextDecoder().decode(input)) as LifecycleWrite;
}
