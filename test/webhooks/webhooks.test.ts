/** Signed webhooks against a real HTTP receiver: signature, idempotency key, transient vs permanent failures. */
import { deliverWebhook, PERMANENT_WEBHOOK_FAILURE } from '../../src/webhooks/deliver';
import { signWebhook, verifyWebhookSignature } from '../../src/webhooks/signature';
import { parseWebhookTargets } from '../../src/webhooks/webhook-config';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const SECRET = 'a-very-secret-signing-key';

describe('webhook signatures', () => {
  const body = '{"event":"handoff.sales"}';
  const now = 1_800_000_000;
  const header = signWebhook({ secret: SECRET, timestamp: now, body });

  it.each([
    ['a valid signature', { header, body, secret: SECRET, now }, true],
    ['a tampered body', { header, body: body.replace('sales', 'support'), secret: SECRET, now }, false],
    ['the wrong secret', { header, body, secret: 'another-secret-key-123', now }, false],
    ['a stale timestamp', { header, body, secret: SECRET, now: now + 301 }, false],
    ['a malformed header', { header: 'sha256=abc', body, secret: SECRET, now }, false],
    ['no header', { header: undefined, body, secret: SECRET, now }, false],
  ])('%s verifies: %p', (_, input, ok) => {
    expect(verifyWebhookSignature(input).ok).toBe(ok);
  });
});

describe('WEBHOOK_TARGETS', () => {
  it.each([
    [undefined, {}],
    ['', {}],
    [
      '{"crm": {"url": "https://crm.example.com/hooks", "secret": "0123456789abcdef"}}',
      { crm: { url: 'https://crm.example.com/hooks', secret: '0123456789abcdef', timeoutMs: 10_000 } },
    ],
  ])('parses %p', (raw, expected) => {
    expect(parseWebhookTargets(raw)).toEqual(expected);
  });

  it.each([
    ['[1', 'WEBHOOK_TARGETS: not valid JSON'],
    ['{"crm": {"url": "mailto:x@y.z", "secret": "0123456789abcdef"}}', 'WEBHOOK_TARGETS.crm.url: must be an http(s) URL'],
    ['{"crm": {"url": "https://crm.example.com", "secret": "short"}}', 'WEBHOOK_TARGETS.crm.secret: must be at least 16 characters'],
    ['{"crm": {"url": "https://crm.example.com", "secret": "0123456789abcdef", "extra": 1}}', 'WEBHOOK_TARGETS.crm'],
    ['{"CRM": {"url": "https://crm.example.com", "secret": "0123456789abcdef"}}', 'WEBHOOK_TARGETS.CRM: target names are lower_snake_case'],
  ])('rejects %s naming the place', (raw, message) => {
    expect(() => parseWebhookTargets(raw)).toThrow(message);
  });
});

describe('deliverWebhook (real HTTP receiver)', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver({ secret: SECRET });
  });
  afterAll(() => receiver.stop());
  const target = () => ({ url: receiver.url, secret: SECRET, timeoutMs: 5_000 });

  it('posts the payload signed, with the idempotency key', async () => {
    await deliverWebhook({
      target: target(),
      idempotencyKey: 'customer:acme/play/expansion_ready/3:to_sales',
      event: 'handoff.sales',
      payload: { arr: 48000 },
    });
    const hook = await receiver.waitFor((h) => h.body.id === 'customer:acme/play/expansion_ready/3:to_sales');
    expect(hook.signatureValid).toBe(true);
    expect(hook.headers['idempotency-key']).toBe('customer:acme/play/expansion_ready/3:to_sales');
    expect(hook.body).toMatchObject({ event: 'handoff.sales', data: { arr: 48000 } });
  });

  it('throws a transient error on 503, and the next attempt lands', async () => {
    receiver.failNext(1, 503);
    const attempt = () => deliverWebhook({ target: target(), idempotencyKey: 'retry-1', event: 'e', payload: {} });
    await expect(attempt()).rejects.toMatchObject({ name: 'Error', message: expect.stringContaining('503') });
    await expect(attempt()).resolves.toMatchObject({ status: 204 });
  });

  it('throws a permanent failure on 400', async () => {
    receiver.failNext(1, 400);
    await expect(deliverWebhook({ target: target(), idempotencyKey: 'bad-1', event: 'e', payload: {} })).rejects.toMatchObject({
      name: PERMANENT_WEBHOOK_FAILURE,
    });
  });

  it('throws a transient error when nothing listens', async () => {
    await expect(
      deliverWebhook({ target: { url: 'http://127.0.0.1:9/hooks', secret: SECRET, timeoutMs: 2_000 }, idempotencyKey: 'down', event: 'e', payload: {} }),
    ).rejects.toMatchObject({ name: expect.not.stringMatching(PERMANENT_WEBHOOK_FAILURE) });
  });
});
