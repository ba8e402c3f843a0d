import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { temporalConnectionOptions } from '../src/temporal/connection-options';

describe('engine configuration', () => {
  it('defaults to the embedded database and the standard local ports', () => {
    expect(loadConfig({})).toEqual({
      CS_DATA_DIR: '.data',
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'customer-lifecycle',
      TEMPORAL_PORT: 7233,
      TEMPORAL_UI_PORT: 8233,
      TEMPORAL_RETENTION_DAYS: 365,
      MAIL_FROM: 'CS Lifecycle Engine <cs-engine@localhost>',
      API_PORT: 3000,
      API_HOST: '127.0.0.1',
      API_MAX_BODY_BYTES: 1024 * 1024,
      API_METRICS_PORT: 0,
      WORKER_METRICS_PORT: 0,
      METRICS_HOST: '127.0.0.1',
      WORKER_MEMORY_MB: 1024,
      SHUTDOWN_GRACE_SECONDS: 25,
      REDELIVERY_SWEEP_SECONDS: 30,
      USAGE_ROLLUP_SECONDS: 60,
      SEGMENT_PARKED_TTL_DAYS: 30,
      WEBHOOK_TARGETS: {},
      CLOUDEVENTS_TYPE_MAP: {},
    });
  });

  it('reads the CloudEvents types the ops map onto engine event types', () => {
    expect(loadConfig({ CLOUDEVENTS_TYPE_MAP: '{"com.acme.login": "usage", "com.acme.nps": "survey"}' }).CLOUDEVENTS_TYPE_MAP).toEqual({
      'com.acme.login': 'usage',
      'com.acme.nps': 'survey',
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', TEMPORAL_PORT: '' })).toMatchObject({ TEMPORAL_PORT: 7233 });
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it('lets the API pick a free port, but not Temporal', () => {
    expect(loadConfig({ API_PORT: '0' }).API_PORT).toBe(0);
    expect(() => loadConfig({ TEMPORAL_PORT: '0' })).toThrow('TEMPORAL_PORT:');
  });

  it.each([
    [{ TEMPORAL_PORT: 'abc' }, 'TEMPORAL_PORT: must be a port number'],
    [{ TEMPORAL_PORT: '70000' }, 'TEMPORAL_PORT:'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: must be a postgresql:// URL'],
    [{ TEMPORAL_ADDRESS: 'localhost' }, 'TEMPORAL_ADDRESS: must be host:port'],
    [{ TEMPORAL_RETENTION_DAYS: '0' }, 'TEMPORAL_RETENTION_DAYS:'],
    [{ TEMPORAL_TASK_QUEUE: '  ' }, 'TEMPORAL_TASK_QUEUE:'],
    [{ API_MAX_BODY_BYTES: '1mb' }, 'API_MAX_BODY_BYTES: must be a number of bytes'],
    [{ API_MAX_BODY_BYTES: '100' }, 'API_MAX_BODY_BYTES:'],
    [{ SMTP_URL: 'http://mail.example.com' }, 'SMTP_URL: must be smtp://host:port or smtps://host:port'],
    [{ SMTP_TLS: 'yes' }, 'SMTP_TLS:'],
    [{ SMTP_USER: 'ops' }, 'SMTP_PASSWORD: set both SMTP_USER and SMTP_PASSWORD, or neither'],
    [{ WEBHOOK_TARGETS: '{"crm": ' }, 'WEBHOOK_TARGETS: not valid JSON'],
    [{ WEBHOOK_TARGETS: '{"crm": {"url": "ftp://crm.example.com", "secret": "0123456789abcdef"}}' }, 'WEBHOOK_TARGETS.crm.url: must be an http(s) URL'],
    [{ WEBHOOK_TARGETS: '{"crm": {"url": "https://crm.example.com", "secret": "short"}}' }, 'WEBHOOK_TARGETS.crm.secret: must be at least 16 characters'],
    [
      { WEBHOOK_TARGETS: '{"Bad Name": {"url": "https://crm.example.com", "secret": "0123456789abcdef"}}' },
      'WEBHOOK_TARGETS.Bad Name: target names are lower_snake_case',
    ],
    [{ CLOUDEVENTS_TYPE_MAP: '{"com.acme.login": ' }, 'CLOUDEVENTS_TYPE_MAP: not valid JSON'],
    [{ CLOUDEVENTS_TYPE_MAP: '["usage"]' }, 'CLOUDEVENTS_TYPE_MAP: must be a JSON object of CloudEvents type'],
    [{ CLOUDEVENTS_TYPE_MAP: '{"com.acme.login": "logins"}' }, 'CLOUDEVENTS_TYPE_MAP.com.acme.login: must be one of usage, ticket, survey'],
    [
      { CLOUDEVENTS_TYPE_MAP: '{"com.cs-lifecycle.usage": "payment"}' },
      'CLOUDEVENTS_TYPE_MAP.com.cs-lifecycle.usage: types starting with com.cs-lifecycle. are the built-in ones',
    ],
    [{ CLOUDEVENTS_TYPE_MAP: '{"": "usage"}' }, 'CLOUDEVENTS_TYPE_MAP: a type must not be empty'],
    [{ CLOUDEVENTS_TYPE_MAP: JSON.stringify({ [`com.acme.${'x'.repeat(200)}`]: 'usage' }) }, 'a type has at most 200 characters'],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('Temporal connection settings', () => {
  let dir: string;
  let cert: string;
  let key: string;
  let otherKey: string;
  let notPem: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cs-tls-'));
    cert = join(dir, 'client.pem');
    key = join(dir, 'client.key');
    otherKey = join(dir, 'other.key');
    notPem = join(dir, 'garbage.pem');
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=engine-test',
    );
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', otherKey);
    writeFileSync(notPem, 'not a certificate\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const address = { TEMPORAL_ADDRESS: 'acme.a1b2c.tmprl.cloud:7233' };

  it('an API key turns TLS on and is sent as the key (Temporal Cloud)', () => {
    const config = loadConfig({ ...address, TEMPORAL_NAMESPACE: 'acme.a1b2c', TEMPORAL_API_KEY: 'eyJhbGciOi.key' });
    expect(temporalConnectionOptions(config, config.TEMPORAL_ADDRESS!)).toEqual({ address: 'acme.a1b2c.tmprl.cloud:7233', tls: {}, apiKey: 'eyJhbGciOi.key' });
  });

  it('a client certificate and key make mTLS, with the CA and server name when given', () => {
    const config = loadConfig({ ...address, TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key, TEMPORAL_TLS_CA: cert, TEMPORAL_TLS_SERVER_NAME: 'engine-test' });
    const options = temporalConnectionOptions(config, config.TEMPORAL_ADDRESS!);
    expect(options.tls && options.tls.clientCertPair?.crt.toString()).toContain('BEGIN CERTIFICATE');
    expect(options.tls && options.tls.clientCertPair?.key.toString()).toContain('PRIVATE KEY');
    expect(options.tls && options.tls.serverRootCACertificate?.toString()).toContain('BEGIN CERTIFICATE');
    expect(options.tls && options.tls.serverNameOverride).toBe('engine-test');
    expect(options.apiKey).toBeUndefined();
  });

  it('plaintext unless asked, and TEMPORAL_TLS=on alone means TLS with the system CAs', () => {
    expect(temporalConnectionOptions(loadConfig({}), '127.0.0.1:7233')).toEqual({ address: '127.0.0.1:7233', tls: false });
    expect(temporalConnectionOptions(loadConfig({ ...address, TEMPORAL_TLS: 'on' }), 'x:1').tls).toEqual({});
    // A key over plaintext: only for a proxy that terminates TLS; the user has to say so.
    expect(temporalConnectionOptions(loadConfig({ ...address, TEMPORAL_TLS: 'off', TEMPORAL_API_KEY: 'k' }), 'x:1')).toEqual({
      address: 'x:1',
      tls: false,
      apiKey: 'k',
    });
  });

  it.each<[Record<string, string>, string]>([
    [{ TEMPORAL_TLS: 'yes' }, 'TEMPORAL_TLS: must be on or off'],
    [{ TEMPORAL_API_KEY: 'two words' }, 'TEMPORAL_API_KEY: must be the key itself'],
    [{ TEMPORAL_TLS_SERVER_NAME: 'not a host' }, 'TEMPORAL_TLS_SERVER_NAME: must be a host name'],
    [{ TEMPORAL_TLS_CERT: '/no/such/cert.pem', TEMPORAL_TLS_KEY: '/no/such/key.pem' }, 'TEMPORAL_TLS_CERT: cannot read /no/such/cert.pem (ENOENT)'],
    [{ TEMPORAL_TLS_CA: '/no/such/ca.pem' }, 'TEMPORAL_TLS_CA: cannot read /no/such/ca.pem (ENOENT)'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL:'],
    [{ API_METRICS_PORT: 'x' }, 'API_METRICS_PORT: must be a port number'],
    [{ WORKER_METRICS_PORT: '70000' }, 'WORKER_METRICS_PORT:'],
    [{ SHUTDOWN_GRACE_SECONDS: '10s' }, 'SHUTDOWN_GRACE_SECONDS: must be a whole number of seconds'],
    [{ SHUTDOWN_GRACE_SECONDS: '0' }, 'SHUTDOWN_GRACE_SECONDS:'],
    [{ REDELIVERY_SWEEP_SECONDS: '5s' }, 'REDELIVERY_SWEEP_SECONDS: must be a whole number of seconds'],
    [{ REDELIVERY_SWEEP_SECONDS: '0' }, 'REDELIVERY_SWEEP_SECONDS:'],
    [{ USAGE_ROLLUP_SECONDS: '3601' }, 'USAGE_ROLLUP_SECONDS:'],
    [{ USAGE_ROLLUP_SECONDS: '-1' }, 'USAGE_ROLLUP_SECONDS: must be a whole number of seconds'],
    [{ SEGMENT_PARKED_TTL_DAYS: '30d' }, 'SEGMENT_PARKED_TTL_DAYS: must be a whole number of days'],
    [{ SEGMENT_PARKED_TTL_DAYS: '0' }, 'SEGMENT_PARKED_TTL_DAYS:'],
    [{ WORKFLOW_BUNDLE: '/no/such/bundle.js' }, 'WORKFLOW_BUNDLE: no such file'],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => loadConfig({ ...address, ...env })).toThrow(message);
  });

  it('refuses a file that is not PEM, a lone cert or key, a key of another cert, TLS files with TLS off', () => {
    expect(() => loadConfig({ ...address, TEMPORAL_TLS_CA: notPem })).toThrow(`TEMPORAL_TLS_CA: ${notPem} does not hold a PEM certificate`);
    expect(() => loadConfig({ ...address, TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: notPem })).toThrow(
      `TEMPORAL_TLS_KEY: ${notPem} does not hold a PEM private key`,
    );
    expect(() => loadConfig({ ...address, TEMPORAL_TLS_CERT: cert })).toThrow('TEMPORAL_TLS_KEY: set both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY, or neither');
    expect(() => loadConfig({ ...address, TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: otherKey })).toThrow(
      `TEMPORAL_TLS_KEY: ${otherKey} is not the private key of the certificate in TEMPORAL_TLS_CERT`,
    );
    expect(() => loadConfig({ ...address, TEMPORAL_TLS: 'off', TEMPORAL_TLS_CA: cert })).toThrow('TEMPORAL_TLS: is off, but TEMPORAL_TLS_CA asks for TLS');
  });

  it('credentials need TEMPORAL_ADDRESS: the embedded dev server takes none', () => {
    expect(() => loadConfig({ TEMPORAL_API_KEY: 'k' })).toThrow('TEMPORAL_ADDRESS: must name the server TEMPORAL_API_KEY is for');
  });
});
