import { loadConfig } from '../src/config';

describe('engine configuration', () => {
  it('defaults to the embedded database and the standard local ports', () => {
    expect(loadConfig({})).toEqual({
      CS_DATA_DIR: '.data',
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_PORT: 7233,
      TEMPORAL_UI_PORT: 8233,
      TEMPORAL_RETENTION_DAYS: 365,
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', TEMPORAL_PORT: '' })).toMatchObject({ TEMPORAL_PORT: 7233 });
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it.each([
    [{ TEMPORAL_PORT: 'abc' }, 'TEMPORAL_PORT: must be a port number'],
    [{ TEMPORAL_PORT: '70000' }, 'TEMPORAL_PORT:'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: must be a postgresql:// URL'],
    [{ TEMPORAL_ADDRESS: 'localhost' }, 'TEMPORAL_ADDRESS: must be host:port'],
    [{ TEMPORAL_RETENTION_DAYS: '0' }, 'TEMPORAL_RETENTION_DAYS:'],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
