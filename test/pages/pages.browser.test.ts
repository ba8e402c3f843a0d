/**
 * The pages in a real browser: headless Chromium from Debian's packages driven by puppeteer-core,
 * against the API process and a worker with a seeded part of the demo portfolio. Screenshots of
 * each page are saved in test-artifacts/ (gitignored).
 */
import { endDemoWorkflows, holdDemoIds } from '../support/end-demo-workflows';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { createApiKey } from '../../src/api/api-keys';
import { seedDemoPortfolio } from '../../src/demo/demo-portfolio';
import { ensureChromium } from '../../src/dev-infra/chromium';
import { healthReasons } from '../../src/domain/health-reasons';
import type { HealthSnapshot } from '../../src/domain/lifecycle-state';
import { stakeholdersLeft } from '../../src/metrics/portfolio-views';
import { formatNumber, formatPercent } from '../../src/pages/format';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { until } from '../support/until';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
/** A few of each kind: two healthy, a stalled onboarding, three at risk (three CSMs), an expansion, a churn. */
const SEEDED = new Set(['demo-01', 'demo-02', 'demo-21', 'demo-29', 'demo-30', 'demo-31', 'demo-39', 'demo-49']);
const AT_RISK = ['demo-29', 'demo-30', 'demo-31'];
const SETTLE_MS = 300_000;

describe('the pages in a browser', () => {
  let stack: ApiStack;
  let browser: Browser;
  let page: Page;
  let key: string;
  const consoleErrors: string[] = [];
  let attacker: Server;

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.api.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.headers ?? {}) } });
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const texts = (selector: string) => page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim()));

  let letGo: (() => void) | undefined;

  beforeAll(
    async () => {
      letGo = await holdDemoIds(process.env.TEST_TEMPORAL_ADDRESS!);
      mkdirSync(ARTIFACTS, { recursive: true });
      const [chromium, started] = await Promise.all([ensureChromium(), startApiStack('pages')]);
      stack = started;
      const { prisma } = stack.database;
      key = await createApiKey(prisma, 'pages-test', ['read', 'tasks:write']);
      await seedDemoPortfolio({ prisma, client: stack.env.client, taskQueue: stack.taskQueue }, Date.now(), (c) => SEEDED.has(c.handoff.customerId));
      // Settled: every customer scored, every event delivered, a play running, bands unchanged for 2 s.
      const snapshot = async () =>
        JSON.stringify(await prisma.customer.findMany({ select: { id: true, stage: true, healthBand: true }, orderBy: { id: 'asc' } }));
      await until(
        'the seeded customers to settle',
        async () => {
          const before = await snapshot();
          if (before.includes('"healthBand":null') || (await prisma.ingestedEvent.count({ where: { deliveredAt: null } })) > 0) return false;
          if ((await prisma.playRun.count({ where: { status: 'running' } })) === 0 || (await prisma.csmTask.count({ where: { status: 'open' } })) < 2)
            return false;
          // Delivered is not yet applied: the three at-risk customers (three CSMs) are red once their workflows caught up.
          if ((await prisma.customer.count({ where: { id: { in: AT_RISK }, healthBand: 'red' } })) < AT_RISK.length) return false;
          await new Promise((r) => setTimeout(r, 2_000));
          return before === (await snapshot());
        },
        SETTLE_MS,
      );
      browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
      page = await browser.newPage();
      await page.setViewport({ width: 1360, height: 900 });
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${(error as Error).message}`));
      page.on('response', (response) => {
        if (response.status() >= 400) consoleErrors.push(`${response.request().method()} ${response.url()}: ${response.status()}`);
      });
    },
    SETTLE_MS + 180_000 + 900_000,
  ); // and up to 15 min waiting for the demo's ids

  afterAll(async () => {
    if (stack) await endDemoWorkflows(stack.env.client, SEEDED);
    letGo?.();
    await browser?.close();
    await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
    await stack?.stop();
  });

  it('asks for a key, refuses a wrong one, and signs in with a read key', async () => {
    await page.goto(`${stack.api.url}/`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await page.type('input[name=key]', 'csk_not-a-key');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(await texts('#sign-in-error')).toEqual([expect.stringContaining('not a key')]);
    await page.type('input[name=key]', key);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(new URL(page.url()).pathname).toBe('/');
    const cookie = (await browser.cookies()).find((c) => c.name === 'cs_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  });

  it("shows the portfolio with GET /v1/metrics' numbers", async () => {
    const metrics = (await (await api('/v1/metrics?days=90')).json()) as {
      arr: { nrr: number | null; grr: number | null; logoChurnRate: number | null };
      nps: { score: number | null };
      timeToValue: Record<string, { medianDays: number | null }>;
      atRisk: { customerId: string }[];
    };
    await page.goto(`${stack.api.url}/`);
    await shot('portfolio');
    const tile = (metric: string) =>
      page.$eval(`[data-metric="${metric}"]`, (e) => [e.getAttribute('data-value'), e.querySelector('.value')?.textContent?.trim()]);
    for (const metric of ['nrr', 'grr', 'logoChurnRate'] as const) {
      const value = metrics.arr[metric];
      expect(await tile(metric)).toEqual([value === null ? '' : String(value), formatPercent(value)]);
    }
    expect(await tile('nps')).toEqual([metrics.nps.score === null ? '' : String(metrics.nps.score), formatNumber(metrics.nps.score)]);
    for (const [segment, t] of Object.entries(metrics.timeToValue)) {
      expect(await page.$eval(`[data-metric="timeToValue"] [data-segment="${segment}"]`, (e) => e.getAttribute('data-value'))).toBe(String(t.medianDays ?? ''));
    }
    const listed = await page.$$eval('#at-risk tr[data-customer]', (rows) => rows.map((r) => r.getAttribute('data-customer')));
    expect(listed.sort()).toEqual(metrics.atRisk.map((c) => c.customerId).sort());
    expect(await page.$$('#health-distribution svg, #health-trend svg, #renewals svg')).toHaveLength(3);
  });

  it('narrows the at-risk list by CSM', async () => {
    await page.goto(`${stack.api.url}/`);
    const before = await page.$$eval('#at-risk tr[data-customer]', (rows) => rows.map((r) => r.children[5]!.textContent!.trim()));
    expect(new Set(before).size).toBeGreaterThan(1);
    await page.select('select[name=csm]', before[0]!);
    await Promise.all([page.waitForNavigation(), page.click('#filters button[type=submit]')]);
    const after = await page.$$eval('#at-risk tr[data-customer]', (rows) => rows.map((r) => r.children[5]!.textContent!.trim()));
    expect(after.length).toBeGreaterThan(0);
    expect(after.length).toBeLessThan(before.length);
    expect(after.every((csm) => csm === before[0])).toBe(true);
  });

  it("gives each at-risk customer's reasons from its health inputs", async () => {
    await page.goto(`${stack.api.url}/`);
    const ids = await page.$$eval('#at-risk tr[data-customer]', (rows) => rows.map((r) => r.getAttribute('data-customer')!));
    for (const id of ids) {
      const state = (await (await api(`/v1/customers/${id}`)).json()) as { health: HealthSnapshot };
      const left = (await stakeholdersLeft(stack.database.prisma, [id])).get(id) ?? [];
      const expected = healthReasons(state.health, { stakeholdersLeft: left }).map((r) => r.text);
      expect(expected.length).toBeGreaterThan(0);
      expect(await texts(`#at-risk tr[data-customer="${id}"] ul.reasons li`)).toEqual(expected);
      // Each reason names an input that scores low in the customer's health.
      const metricsNamed = await page.$$eval(`#at-risk tr[data-customer="${id}"] ul.reasons li`, (lis) => lis.map((li) => li.getAttribute('data-metric')!));
      const inputs = state.health.dimensions.flatMap((d) => d.inputs);
      for (const metric of metricsNamed) expect(inputs.find((i) => i.metric === metric)!.score).toBeLessThan(50);
    }
  });

  it('shows a customer with its timeline and a running play', async () => {
    const run = await stack.database.prisma.playRun.findFirstOrThrow({ where: { status: 'running' }, orderBy: { startedAt: 'asc' } });
    // On a loaded machine the worker may take a while to answer a query: the page would say so.
    await until('the customer to answer its state query', async () => (await api(`/v1/customers/${run.customerId}`)).ok, 60_000);
    await page.goto(`${stack.api.url}/customers/${run.customerId}`);
    await shot('customer');
    await page.screenshot({ path: join(ARTIFACTS, 'customer-top.png'), clip: { x: 0, y: 0, width: 1360, height: 1500 } });
    expect((await texts('#timeline tr')).length).toBeGreaterThan(2);
    expect(await texts(`#plays tr[data-status="running"]`)).toEqual(expect.arrayContaining([expect.stringContaining(run.playLabel)]));
    expect(await page.$$('#contributions svg, #score-history svg')).toHaveLength(2);
    expect((await texts('#exit-checklist li')).length).toBeGreaterThan(0);
  });

  it('completes a task in place and refuses a forged cross-site POST', async () => {
    const { prisma } = stack.database;
    const [mine, other] = await prisma.csmTask.findMany({ where: { status: 'open' }, orderBy: { dueAt: 'asc' }, take: 2 });
    await page.goto(`${stack.api.url}/tasks?assignee=${encodeURIComponent(mine!.assignee)}`);
    await shot('tasks');
    await Promise.all([page.waitForNavigation(), page.click(`tr[data-task="${mine!.id}"] button[type=submit]`)]);
    expect(await texts('#notice')).toEqual(['Task marked done.']);
    expect(await page.$(`tr[data-task="${mine!.id}"]`)).toBeNull();
    expect(await prisma.csmTask.findUniqueOrThrow({ where: { id: mine!.id } })).toMatchObject({ status: 'done', completedBy: 'pages-test' });

    // Another site's page posting to the task's URL: the browser sends the cookie along (the same
    // host, so the same site), and the engine refuses it for its origin and missing token.
    attacker = createServer((_, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<!doctype html><form id="f" method="post" action="${stack.api.url}/tasks/${other!.id}/complete"><input name="back" value="/tasks"></form>` +
          `<script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const forged = new Promise<number>((resolve) =>
      page.on('response', (response) => response.url().endsWith(`/tasks/${other!.id}/complete`) && resolve(response.status())),
    );
    await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
    expect(await forged).toBe(403);
    expect((await prisma.csmTask.findUniqueOrThrow({ where: { id: other!.id } })).status).toBe('open');
    // The refusal is a plain 403 page, not a console error of ours.
    consoleErrors.splice(0, consoleErrors.length, ...consoleErrors.filter((e) => !e.includes('403')));
    expect(consoleErrors).toEqual([]);
  });

  it("shows the customer's own success-plan page by its link, JSON to API clients", async () => {
    const customerId = 'demo-29';
    const { shareUrl } = (await (await api(`/v1/customers/${customerId}/success-plan`)).json()) as { shareUrl: string };
    const asJson = await fetch(`${stack.api.url}${shareUrl}`);
    expect(asJson.headers.get('content-type')).toMatch(/application\/json/);
    await page.deleteCookie(...(await page.cookies()));
    await page.goto(`${stack.api.url}${shareUrl}`);
    await shot('shared-plan');
    expect((await texts('#objectives li')).length).toBeGreaterThan(0);
    expect((await texts('#milestones li')).length).toBeGreaterThan(0);
    expect(await texts('#csm')).toEqual(['dana@example.com']);
    const whole = (await page.$eval('body', (b) => b.textContent ?? '')).toLowerCase();
    expect(whole).not.toContain('health');
    expect(whole).not.toContain('raised in the sale');
  });

  it('logged no console errors on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
