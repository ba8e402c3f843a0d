/**
 * `cli backtest` on a real PostgreSQL database: a small portfolio recorded as the engine records it
 * (customer rows, first contract term, the `new` ARR movement, stakeholder rows, the handoff's
 * timeline entry, the event log), backtested against a candidate whose red line is higher. The
 * customers are the shipped scenario stories: some stay well clear of the line (healthy, or red by
 * any measure), some live near it. No Temporal: the selection is the whole database.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { backtestCommand } from '../../src/cli/backtest';
import { loadConfig } from '../../src/config';
import type { Database } from '../../src/db/database';
import type { TCustomerEvent } from '../../src/domain/customer-events';
import { DEFAULT_LIFECYCLE } from '../../src/domain/default-lifecycle';
import type { TLifecycleDefinition } from '../../src/domain/lifecycle-definition';
import { publishDefinition } from '../../src/lifecycle/definition-store';
import { readScenarioFile } from '../../src/simulate/scenario-file';
import { openTestDatabase } from '../support/servers';

const SCENARIOS = resolve(__dirname, '../../scenarios');
const ARTIFACTS = resolve(__dirname, '../../test-artifacts');
/** Red below 70 instead of 60: customers that live in the 60s turn red, the others do not notice. */
const RED_70: TLifecycleDefinition = {
  ...DEFAULT_LIFECYCLE,
  version: `${DEFAULT_LIFECYCLE.version}-red70`,
  healthModels: DEFAULT_LIFECYCLE.healthModels.map((model) => ({ ...model, bands: { ...model.bands, yellow: 70 } })),
};

/** Records one scenario's customer as `createCustomer`, the workflow and the event ingest would have. */
async function record(database: Database, file: string): Promise<string> {
  const { prisma } = database;
  const scenario = readScenarioFile(join(SCENARIOS, file));
  const { handoff, startMs } = scenario;
  const id = handoff.customerId;
  await prisma.customer.create({
    data: {
      id,
      name: handoff.name,
      arr: handoff.arr,
      csmOwner: handoff.csmOwner,
      contractStart: new Date(handoff.contractStart),
      contractEnd: new Date(handoff.contractEnd),
      createdAt: new Date(startMs),
    },
  });
  await prisma.contract.create({
    data: { customerId: id, term: 1, startsAt: new Date(handoff.contractStart), endsAt: new Date(handoff.contractEnd), arr: handoff.arr },
  });
  await prisma.arrMovement.create({
    data: { idempotencyKey: `${id}:new`, customerId: id, kind: 'new', amount: handoff.arr, occurredAt: new Date(handoff.contractStart) },
  });
  await prisma.timelineEntry.create({
    data: {
      customerId: id,
      idempotencyKey: `customer:${id}:timeline:0`,
      kind: 'handoff',
      summary: 'sales handoff',
      causeType: 'handoff',
      definitionVersion: DEFAULT_LIFECYCLE.version,
      occurredAt: new Date(startMs),
    },
  });
  for (const s of handoff.stakeholders) {
    await prisma.stakeholder.create({ data: { customerId: id, stakeholderId: s.id, name: s.name, role: s.role, email: s.email ?? null, engaged: false } });
  }
  // The log keeps an id once (a repeat is refused at the door); rows follow the events as the ingest writes them.
  const seen = new Set<string>();
  for (const { event } of scenario.events) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    await prisma.ingestedEvent.create({
      data: {
        idempotencyKey: `${id}:${event.id}`, // the stories' generated ids repeat across customers
        customerId: id,
        type: event.type,
        payload: JSON.parse(JSON.stringify(event)),
        occurredAt: new Date(event.occurredAt),
        receivedAt: new Date(event.occurredAt),
      },
    });
    await followRows(database, id, event);
  }
  return id;
}

async function followRows(database: Database, customerId: string, event: TCustomerEvent): Promise<void> {
  const { prisma } = database;
  if (event.type === 'stakeholder') {
    const { stakeholder, action } = event;
    const row = {
      name: stakeholder.name,
      role: stakeholder.role,
      email: stakeholder.email ?? null,
      leftAt: action === 'left' ? new Date(event.occurredAt) : null,
    };
    await prisma.stakeholder.upsert({
      where: { customerId_stakeholderId: { customerId, stakeholderId: stakeholder.id } },
      create: { customerId, stakeholderId: stakeholder.id, ...row, engaged: action === 'engaged' },
      update: row,
    });
  }
  if (event.type === 'contract' && event.action === 'renewal_date_moved' && event.contractEnd) {
    await prisma.contract.updateMany({ where: { customerId, term: 1 }, data: { endsAt: new Date(event.contractEnd) } });
  }
}

describe('cli backtest (real PostgreSQL, no Temporal)', () => {
  let database: Database;
  let folder: string;
  const customers: string[] = [];
  const run = async (args: string[]) => {
    let out = '';
    let err = '';
    const config = loadConfig({ DATABASE_URL: (database.target as { url: string }).url, CS_DATA_DIR: folder });
    const code = await backtestCommand(config, args, { out: (t) => (out += t), err: (t) => (err += t), errIsTty: false });
    return { code, out, err };
  };

  beforeAll(async () => {
    database = await openTestDatabase('backtest');
    folder = mkdtempSync(join(tmpdir(), 'backtest-'));
    for (const file of readdirSync(SCENARIOS).sort()) customers.push(await record(database, file));
    await publishDefinition(database.prisma, RED_70, { by: 'ops@example.com', note: 'red below 70' });
  });
  afterAll(async () => {
    await database?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('names exactly the customers a higher red line changes, and no others', async () => {
    const html = join(folder, 'report.html');
    const { code, out, err } = await run(['--candidate', RED_70.version, '--to', '2027-02-09', '--json', '--html', html, '--threads', '2']);
    expect(code).toBe(0);
    const report = JSON.parse(out) as {
      baselines: Record<string, number>;
      summary: { customers: number; changed: number; redLater: number; skipped: number; failed: number };
      changed: { customerId: string; red: { change: string } }[];
      plays: Record<string, { baseline: number; candidate: number }>;
    };
    expect(report.summary).toMatchObject({ customers: customers.length, skipped: 0, failed: 0, redLater: 0 });
    // Each ran the built-in default (its timeline says so; the version is not published): that is the baseline.
    expect(report.baselines).toEqual({ [DEFAULT_LIFECYCLE.version]: customers.length });
    // Near the line: a detractor's NPS, a stalled onboarding, a renewal late in trouble. The rest never were near it.
    expect(report.changed.map((d) => d.customerId)).toEqual(['globex', 'quietco', 'wayne']);
    expect(report.changed.every((d) => d.red.change === 'earlier')).toBe(true);
    expect(report.plays.red_account!.candidate).toBeGreaterThan(report.plays.red_account!.baseline);
    expect(err).toMatch(/backtest: 7\/7 customers/);
    expect(existsSync(html)).toBe(true);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<svg');
    expect(page).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('prints the same finding as text, run in this process', async () => {
    const { code, out } = await run(['--candidate', RED_70.version, '--to', '2027-02-09', '--threads', '0']);
    // Kept for a reader (gitignored): the README's example is this run's output.
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'backtest-report.txt'), out);
    expect(code).toBe(0);
    expect(out).toMatch(/7 customer\(s\) replayed \(14 simulations\); 3 change/);
    expect(out).toMatch(/Turns red earlier or later[^\n]*\n {2}globex {2}day \d+ \(\d{4}-\d{2}-\d{2}\) -> day \d+/);
    expect(out).not.toMatch(/\bacme\b/);
  });

  it('finds no change when the candidate is the baseline', async () => {
    // A shorter window, to keep the run short: the first eight weeks.
    const { out } = await run(['--candidate', 'default', '--baseline', DEFAULT_LIFECYCLE.version, '--to', '2026-03-01', '--threads', '0', '--json']);
    expect(JSON.parse(out).summary).toMatchObject({ customers: 7, changed: 0 });
  });

  it.each([
    [['--to', '2027-02-09'], /--candidate: give the definition to try/],
    [['--candidate', 'no-such-version'], /--candidate no-such-version: neither a module that exists nor a published version/],
    [['--candidate', 'default', '--from', '2026-05-01', '--to', '2026-04-01'], /--from must be before --to/],
    [['--candidate', 'default', '--to', 'yesterday'], /backtest --to: a date/],
    [['--candidate', 'default', '--threads', '500'], /backtest --threads/],
  ])('refuses %j in one sentence', async (args, message) => {
    await expect(run(args)).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(message) });
  });
});
