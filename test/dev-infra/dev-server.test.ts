import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort, startDevServer } from '../../src/dev-infra/dev-server';
import { ensureTemporalCli } from '../../src/dev-infra/temporal-cli';
import { ALL_SEARCH_ATTRIBUTE_KEYS, HealthBandKey } from '../../src/domain/search-attributes';

describe('the Temporal dev server as the engine starts it', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'cs-devserver-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function withServer<T>(work: (connection: Connection) => Promise<T>): Promise<T> {
    const server = await startDevServer({
      cliPath: await ensureTemporalCli(),
      dbFilename: join(dataDir, 'dev.db'),
      port: await freePort(),
      retentionDays: 400,
    });
    const connection = await Connection.connect({ address: server.address });
    try {
      return await work(connection);
    } finally {
      await connection.close();
      await server.stop();
    }
  }

  async function customAttributes(connection: Connection): Promise<string[]> {
    const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    return Object.keys(listed.customAttributes ?? {}).sort();
  }

  it('registers search attributes a persisted database lacks and keeps closed runs for the set retention', async () => {
    await withServer(async (connection) => {
      expect(await customAttributes(connection)).toEqual(ALL_SEARCH_ATTRIBUTE_KEYS.map((k) => k.name).sort());
      // As if the file had been created by an older engine that did not know HealthBand yet.
      await connection.operatorService.removeSearchAttributes({ namespace: 'default', searchAttributes: [HealthBandKey.name] });
      expect(await customAttributes(connection)).not.toContain(HealthBandKey.name);
    });

    await withServer(async (connection) => {
      expect(await customAttributes(connection)).toContain(HealthBandKey.name);
      const described = await connection.workflowService.describeNamespace({ namespace: 'default' });
      expect(Number(described.config?.workflowExecutionRetentionTtl?.seconds)).toBe(400 * 24 * 60 * 60);
    });
  });
});
