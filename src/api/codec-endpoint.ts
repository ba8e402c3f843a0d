/**
 * The remote codec endpoint the Temporal Web UI calls (`temporal server start-dev
 * --ui-codec-endpoint`, or the UI's own "Codec Server" setting): `POST /codec/decode` turns the
 * step's deflated write (`binary/deflate-write-v1`, `src/temporal/payload-codec.ts`) back into the
 * JSON it was, so a CS lead reading a customer's history sees the write's input, not bytes;
 * `POST /codec/encode` returns what it is given (the UI encodes signal input it sends; the engine
 * encodes nothing a sender gives). The protocol is Temporal's: `{ payloads: [{ metadata, data }] }`
 * with base64 values, answered in the same shape.
 *
 * No API key: the browser calls it without one, and it only inflates what it is sent, reading
 * nothing. So it is bounded instead: 1 MiB of body, 100 payloads, 4 MiB inflated in all (a write
 * is a few KiB), inflated off the event loop, two requests at a time (503 beyond), and browsers
 * may call it only from the Web UI's own origin (`TEMPORAL_UI_URL`).
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { z } from 'zod';
import { isPackedWrite, packedWriteJson } from '../domain/packed-write';
import { inflatePackedWrite, PACKED_WRITE_ENCODING } from '../temporal/payload-codec';

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_PAYLOADS = 100;
const MAX_INFLATED_BYTES = 4 * 1024 * 1024;
const MAX_CONCURRENT_DECODES = 2;

const ZBase64 = z
  .string()
  .max(MAX_BODY_BYTES)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const ZCodecRequest = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string().max(200), ZBase64).optional(), data: ZBase64.optional() }).passthrough()).max(MAX_PAYLOADS),
});
type CodecPayload = z.infer<typeof ZCodecRequest>['payloads'][number];

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const encodingOf = (payload: CodecPayload) => (payload.metadata?.encoding ? Buffer.from(payload.metadata.encoding, 'base64').toString('utf8') : undefined);

class CodecRequestError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

async function decode(payloads: CodecPayload[]): Promise<CodecPayload[]> {
  let budget = MAX_INFLATED_BYTES;
  const decoded: CodecPayload[] = [];
  for (const [index, payload] of payloads.entries()) {
    if (encodingOf(payload) !== PACKED_WRITE_ENCODING || payload.data === undefined) {
      decoded.push(payload);
      continue;
    }
    const path = `payloads.${index}.data`;
    const tooBig = new CodecRequestError(path, `inflates to more than the ${MAX_INFLATED_BYTES / 1024 / 1024} MiB a request may`);
    if (budget <= 0) throw tooBig;
    let bytes: Buffer;
    try {
      bytes = await inflatePackedWrite(Buffer.from(payload.data, 'base64'), budget);
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooBig;
      throw new CodecRequestError(path, `not a ${PACKED_WRITE_ENCODING} payload: ${(error as Error).message}`);
    }
    budget -= bytes.length;
    const json = isPackedWrite(bytes) ? packedWriteJson(bytes) : undefined;
    // json/plain, so the UI shows it as the JSON it is; anything else stays as it came.
    decoded.push(
      json !== undefined && isJson(json) ? { ...payload, metadata: { ...payload.metadata, encoding: base64('json/plain') }, data: base64(json) } : payload,
    );
  }
  return decoded;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * `uiOrigins`: the origins a browser may call from (the Web UI's); other callers (the `temporal`
 * CLI's `--codec-endpoint`, scripts) need no CORS and get none.
 */
export function createCodecApp(options: { uiOrigins: readonly string[] }): Hono {
  const app = new Hono();
  let decoding = 0;
  app.use(
    '*',
    cors({
      origin: (origin) => (options.uiOrigins.includes(origin) ? origin : null),
      allowMethods: ['POST', 'OPTIONS'],
      allowHeaders: ['content-type', 'x-namespace', 'authorization'],
      maxAge: 600,
    }),
  );
  app.use(
    '*',
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: 'payload_too_large', message: `body larger than ${MAX_BODY_BYTES} bytes` }, 413) }),
  );
  const transforms = { '/decode': decode, '/encode': async (payloads: CodecPayload[]) => payloads };
  for (const [route, transform] of Object.entries(transforms)) {
    app.post(route, async (c) => {
      const counted = route === '/decode';
      if (counted && decoding >= MAX_CONCURRENT_DECODES) {
        c.header('Retry-After', '1');
        return c.json({ error: 'busy', message: `at most ${MAX_CONCURRENT_DECODES} decodes at a time; try again` }, 503);
      }
      // Counted from here, reading the body included: requests arriving meanwhile see it.
      if (counted) decoding += 1;
      try {
        const body: unknown = await c.req.json().catch(() => undefined);
        const parsed = ZCodecRequest.safeParse(body);
        if (!parsed.success) {
          const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
          return c.json({ error: 'invalid_request', message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues }, 422);
        }
        return c.json({ payloads: await transform(parsed.data.payloads) });
      } catch (error) {
        if (!(error instanceof CodecRequestError)) throw error;
        return c.json({ error: 'invalid_request', message: `${error.path}: ${error.message}`, issues: [{ path: error.path, message: error.message }] }, 422);
      } finally {
        if (counted) decoding -= 1;
      }
    });
  }
  return app;
}

/** The Web UI's origin, and its `localhost` / `127.0.0.1` twin (a browser may open either). */
export function webUiOrigins(temporalUiUrl: string | undefined): string[] {
  if (!temporalUiUrl) return [];
  const url = new URL(temporalUiUrl);
  const twin = url.hostname === '127.0.0.1' ? 'localhost' : url.hostname === 'localhost' ? '127.0.0.1' : undefined;
  return [url.origin, ...(twin ? [`${url.protocol}//${twin}${url.port ? `:${url.port}` : ''}`] : [])];
}
