import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTemporalCli, TEMPORAL_CLI_VERSION } from '../../src/dev-infra/temporal-cli';

describe('resolving the Temporal CLI', () => {
  let cache: string;
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), 'cs-cli-cache-'));
  });
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  const noDownload = async () => {
    throw new Error('no route to host');
  };

  it('uses TEMPORAL_CLI_PATH first', async () => {
    const binary = join(cache, 'my-temporal');
    writeFileSync(binary, '#!/bin/sh\n');
    chmodSync(binary, 0o755);
    await expect(
      ensureTemporalCli({ env: { TEMPORAL_CLI_PATH: binary, CS_LIFECYCLE_CACHE_DIR: cache }, sdkDownload: noDownload, report: () => undefined }),
    ).resolves.toBe(binary);
  });

  it('rejects a TEMPORAL_CLI_PATH that is not an executable', async () => {
    await expect(ensureTemporalCli({ env: { TEMPORAL_CLI_PATH: join(cache, 'missing'), CS_LIFECYCLE_CACHE_DIR: cache } })).rejects.toMatchObject({
      name: 'SetupError',
      message: expect.stringContaining('TEMPORAL_CLI_PATH'),
    });
  });

  it('reuses a cached build without touching Go or the network', async () => {
    const dir = join(cache, 'temporal-cli', `v${TEMPORAL_CLI_VERSION}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'temporal'), '#!/bin/sh\n');
    chmodSync(join(dir, 'temporal'), 0o755);
    await expect(
      ensureTemporalCli({ env: { PATH: '/nonexistent', CS_LIFECYCLE_CACHE_DIR: cache }, sdkDownload: noDownload, report: () => undefined }),
    ).resolves.toBe(join(dir, 'temporal'));
  });

  it('explains what to do when there is neither Go nor internet', async () => {
    const failure = ensureTemporalCli({ env: { PATH: '/nonexistent', CS_LIFECYCLE_CACHE_DIR: cache }, sdkDownload: noDownload, report: () => undefined });
    await expect(failure).rejects.toMatchObject({
      name: 'SetupError',
      message: expect.stringMatching(/no Go toolchain on PATH.*SDK's download failed \(no route to host\)/),
      remedy: expect.stringMatching(/Install Go >= 1\.25.*TEMPORAL_CLI_PATH/),
    });
  });
});
