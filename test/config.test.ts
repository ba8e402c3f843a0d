import { loadConfig } from '../src/config';

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
      WEBHOOK_TARGETS: {},
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
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
