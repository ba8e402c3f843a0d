/**
 * The CLI as a user runs it (a child process), against a real API server, the dev server and a
 * worker: send an event, show a customer, list by band through visibility, print metrics, import
 * a CSV; wrong arguments, missing files and files without rows answered with what is wrong.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApiKey } from '../../src/api/api-keys';
import type { Database } from '../../src/db/database';
import { createCustomer } from '../../src/ingest/create-customer';
import { handoff } from '../support/customers';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { uniqueSuffix } from '../support/servers';

const root = resolve(__dirname, '../..');

describe('cli commands', () => {
  let stack: ApiStack;
  let env: TestWorkflowEnvironment;
  let database: Database;
  let api: ApiStack['api'];
  let key: string;
  let taskQueue: string;
  let dir: string;

  beforeAll(async () => {
    stack = await startApiStack('cli');
    ({ env, database, api, taskQueue } = stack);
    key = await createApiKey(database.prisma, 'cli-test');
    dir = mkdtempSync(join(tmpdir(), 'cs-cli-'));
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((done) => {
      execFile(
        join(root, 'node_modules/.bin/tsx'),
        ['src/cli/main.ts', ...args],
        {
          cwd: root,
          timeout: 60_000,
          env: {
            ...process.env,
            NODE_OPTIONS: '',
            CS_API_URL: api.url,
            CS_API_KEY: key,
            TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
            CS_DATA_DIR: dir,
          },
        },
        (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  async function customer(): Promise<string> {
    const input = handoff({ startAt: Date.now(), name: `CLI ${uniqueSuffix()}` });
    await createCustomer({ prisma: database.prisma, client: env.client, taskQueue }, input);
    return input.customerId;
  }

  it('sends an event once, shows the customer, and lists it by stage through visibility', async () => {
    const id = await customer();
    const event = JSON.stringify({ id: `cli-${uniqueSuffix()}`, type: 'milestone', milestone: 'setup_done', occurredAt: new Date().toISOString() });
    expect(await cli('send-event', '--customer', id, '--json', event)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^accepted: event cli-/) });
    expect(await cli('send-event', '--customer', id, '--json', event)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^duplicate: /) });
    const shown = await cli('show', id);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`\\(${id}\\)\\n  stage     onboarding`));
    expect(shown.stdout).toMatch(/health {4}\d/);
    let listed = '';
    for (let i = 0; i < 30 && !listed.includes(id); i += 1) {
      listed = (await cli('list', '--stage', 'onboarding', '--limit', '1000')).stdout;
      if (!listed.includes(id)) await new Promise((r) => setTimeout(r, 500));
    }
    expect(listed).toMatch(new RegExp(`^${id} +onboarding`, 'm'));
  });

  it('prints metrics as text and as JSON', async () => {
    await customer();
    const text = await cli('metrics', '--days', '30');
    expect(text).toMatchObject({ code: 0, stdout: expect.stringMatching(/NRR \/ GRR[^\n]*\n  logo churn[^\n]*\n  new ARR/) });
    const json = await cli('metrics', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ period: { days: 90 }, arr: { total: expect.any(Number) } });
  });

  it('imports a CSV with progress, refusing the whole file when a row is wrong', async () => {
    const good = `imp-${uniqueSuffix()}`;
    const file = join(dir, 'customers.csv');
    const header = 'customerId,name,arr,contractStart,contractEnd,csmOwner,championName,championEmail';
    writeFileSync(
      file,
      `${header}\n${good},Good Co,20000,2026-11-01T00:00:00Z,2027-11-01T00:00:00Z,dana@example.com,Ana,ana@good.example\nbad,Bad Co,lots,2026-11-01,2027-11-01T00:00:00Z,,,\n`,
    );
    const refused = await cli('import', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('line 3, arr: Invalid input: expected number');
    expect(refused.stderr).toContain('line 3, contractStart: Invalid ISO datetime');
    expect(refused.stderr).toContain('nothing was imported');
    expect(await database.prisma.customer.count({ where: { id: good } })).toBe(0);

    writeFileSync(file, `${header}\n${good},Good Co,20000,2026-11-01T00:00:00Z,2027-11-01T00:00:00Z,dana@example.com,Ana,ana@good.example\n`);
    expect(await cli('import', file)).toMatchObject({
      code: 0,
      stdout: 'imported 1 customer(s); 0 already existed\n',
      stderr: expect.stringContaining('[import] 1/1'),
    });
    expect(await cli('import', file)).toMatchObject({ code: 0, stdout: 'imported 0 customer(s); 1 already existed\n' });
  });

  it.each([
    ['empty', ''],
    ['header only', 'customerId,name,arr,contractStart,contractEnd,csmOwner\n'],
  ])('refuses an import file that is %s: it has no rows', async (_, content) => {
    const file = join(dir, `no-rows-${uniqueSuffix()}.csv`);
    writeFileSync(file, content);
    const result = await cli('import', file);
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: expect.stringContaining(`import: ${file} has no rows`) });
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it.each([
    [['list', '--band', 'purple'], /list --band: Invalid option: expected one of "green"\|"yellow"\|"red"\|"insufficient_data"/],
    [['send-event', '--customer', 'x'], /give the event as --json/],
    [['send-event', '--customer', 'x', '--json', '{nope'], /the event is not valid JSON/],
    [['send-event', '--customer', 'x', '--file', 'missing.json'], /send-event: cannot read the event file missing\.json \(no such file\)/],
    [['show'], /give one customer id/],
    [['show', 'a/b'], /show: letters, digits/],
    [['list', '--limit', '99999'], /list --limit: Too big/],
    [['send-event', '--customer', 'x y', '--json', '{}'], /send-event --customer: letters, digits/],
    [['metrics', '--days', 'many'], /metrics --days: /],
    [['api-key', 'rotate', 'x'], /use `api-key create <name>`/],
    [['frobnicate'], /Unknown command "frobnicate"/],
  ])('%j is answered with what is wrong', async (args, message) => {
    const result = await cli(...args);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('explains --help', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const command of ['start', 'worker', 'api', 'send-event', 'show', 'list', 'metrics', 'import', 'api-key'])
      expect(help.stdout).toContain(`  ${command}`);
  });
});
