/**
 * `npm start` as a user runs it (`cli start` as its own process, on the embedded PGlite database and
 * its own dev server), with the CLI beside it: keys made and revoked by the CLI take effect in the
 * running engine and stay so after a restart; a killed worker does not stop the API from taking
 * events, which the restarted worker applies; a killed engine leaves no process behind.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../src/dev-infra/dev-server';
import { startNodeProcess, type ReadyProcess } from '../support/node-process';
import { until } from '../support/until';

const root = resolve(__dirname, '../..');
const BANNER = /The engine is running\.[\s\S]*HTTP API: +(http:\/\/\S+) [\s\S]*API key: +(csk_\S+)\nPress Ctrl-C to stop\.\n/;

interface Engine {
  process: ReadyProcess;
  url: string;
  localKey: string;
}

describe('npm start on the embedded database, with the CLI beside it', () => {
  let dataDir: string;
  let ports: { temporal: number; ui: number };
  let engine: Engine | undefined;

  async function startEngine(): Promise<Engine> {
    // Exactly what `npm start` runs: bootstrap.cjs compiles the CLI and runs the supervisor in its
    // own process, the worker and the API from the compiled dist/cli.cjs.
    const started = await startNodeProcess(
      'src/bootstrap.cjs',
      ['start'],
      {
        CS_DATA_DIR: dataDir,
        DATABASE_URL: '',
        TEMPORAL_ADDRESS: '',
        TEMPORAL_PORT: String(ports.temporal),
        TEMPORAL_UI_PORT: String(ports.ui),
        API_PORT: '0',
        LIFECYCLE_DEFINITION: '',
        SMTP_URL: '',
      },
      BANNER,
    );
    return { process: started, url: started.ready[1]!, localKey: started.ready[2]! };
  }

  function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((done) => {
      execFile(
        join(root, 'node_modules/.bin/tsx'),
        ['src/cli/main.ts', ...args],
        { cwd: root, timeout: 90_000, env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: '', CS_API_KEY: '', CS_DATA_DIR: dataDir, ...env } },
        (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  const get = (url: string, key: string) => fetch(`${url}/v1/tasks`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cs-engine-'));
    ports = { temporal: await freePort(), ui: await freePort() };
    engine = await startEngine();
  }, 240_000);
  afterAll(async () => {
    await engine?.process.stop('SIGINT');
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  let readerKey: string;
  let revokedKey: string;

  it('makes and revokes keys through the running engine, which accepts and refuses them at once', async () => {
    const { url } = engine!;
    // The CLI finds the engine's API and the local key (which may make keys) as a user's would.
    const created = await cli({ CS_API_URL: url }, 'api-key', 'create', 'ops-reader', '--scopes', 'read');
    expect(created).toMatchObject({ code: 0, stdout: expect.stringMatching(/^csk_\S+\n$/), stderr: expect.stringContaining('API key "ops-reader" (read)') });
    readerKey = created.stdout.trim();
    expect(await get(url, readerKey)).toBe(200);

    const doomed = (await cli({ CS_API_URL: url }, 'api-key', 'create', 'ops-doomed')).stdout.trim();
    revokedKey = doomed;
    expect(await get(url, doomed)).toBe(200);
    expect(await cli({ CS_API_URL: url }, 'api-key', 'revoke', 'ops-doomed')).toMatchObject({ code: 0, stdout: 'revoked ops-doomed\n' });
    expect(await get(url, doomed)).toBe(403);

    // A key without keys:write cannot make keys; a name is never given twice.
    const denied = await cli({ CS_API_URL: url, CS_API_KEY: readerKey }, 'api-key', 'create', 'ops-other');
    expect(denied).toMatchObject({ code: 1, stderr: expect.stringContaining('lacks the scope keys:write') });
    const twice = await cli({ CS_API_URL: url }, 'api-key', 'create', 'ops-reader');
    expect(twice).toMatchObject({ code: 1, stderr: expect.stringContaining('an API key named "ops-reader" exists already') });
    expect(await cli({ CS_API_URL: url }, 'api-key', 'revoke', 'nobody')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no active key named "nobody"'),
    });
    const doc = (await (await fetch(`${url}/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/api-keys', '/v1/api-keys/{name}/revoke']));
  }, 240_000);

  it('refuses to write the database the engine holds when its API does not answer', async () => {
    const refused = await cli({ CS_API_URL: 'http://127.0.0.1:9' }, 'api-key', 'create', 'ops-beside');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /api-key: the embedded database in \S+ is held by process \d+ \(.*start.*\) and no API answers at http:\/\/127\.0\.0\.1:9, so the key is not written: a second process.s write there would be lost/,
    );
    expect(refused.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  }, 120_000);

  it('keeps acknowledging events while the worker is down, and the restarted worker applies them', async () => {
    const { url, localKey } = engine!;
    const [worker] = descendants(engine!.process.child.pid!).filter((p) => / worker$/.test(p.args));
    expect(worker).toBeDefined();
    process.kill(worker!.pid, 'SIGKILL');
    await until('the worker to be gone', async () => !alive(worker!.pid));

    const event = {
      customerId: 'demo-01',
      id: `crash-${Date.now()}`,
      type: 'milestone',
      milestone: 'worker_crash_probe',
      occurredAt: new Date().toISOString(),
    };
    const accepted = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${localKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    expect({ status: accepted.status, body: await accepted.json() }).toEqual({
      status: 202,
      body: { id: event.id, customerId: 'demo-01', status: 'accepted' },
    });

    await until(
      'the supervisor to restart the worker',
      async () => /\[engine\] the worker stopped \(signal SIGKILL\); restarting it in 1 s\n/.test(engine!.process.output()),
      30_000,
    );
    await until(
      'the restarted worker to apply the event',
      async () => {
        const state = await fetch(`${url}/v1/customers/demo-01`, { headers: { authorization: `Bearer ${localKey}` } });
        return (
          state.status === 200 &&
          ((await state.json()) as { customer: { milestones: { id: string }[] } }).customer.milestones.some((m) => m.id === 'worker_crash_probe')
        );
      },
      // The restarted worker replays the demo portfolio's histories first; on a busy 2-core machine
      // that took longer than two minutes once.
      240_000,
    );
    const [restarted] = descendants(engine!.process.child.pid!).filter((p) => / worker$/.test(p.args));
    expect(restarted?.pid).not.toBe(worker!.pid);
  }, 360_000);

  it('leaves no process behind when killed (SIGKILL); a restart takes the database over and keeps the keys', async () => {
    const killed = descendants(engine!.process.child.pid!);
    // The dev server (under its watchdog), the worker and the API.
    for (const part of [/^\S*temporal server start-dev /, /watchdog\.cjs \S*temporal server start-dev /, /cli\.cjs worker$/, /cli\.cjs api$/]) {
      expect(killed.map((p) => p.args)).toContainEqual(expect.stringMatching(part));
    }
    // Nothing else: not esbuild's service, which compiled the CLI at start-up.
    expect(killed).toHaveLength(4);
    await engine!.process.stop('SIGKILL');
    engine = undefined;
    await until('every process of the killed engine to be gone', async () => killed.every((p) => !alive(p.pid)), 60_000);

    engine = await startEngine();
    expect(await get(engine.url, readerKey)).toBe(200);
    expect(await get(engine.url, revokedKey)).toBe(403);

    // Ctrl-C (SIGINT) stops it all, too.
    const running = descendants(engine.process.child.pid!);
    await engine.process.stop('SIGINT');
    engine = undefined;
    await until('every process of the stopped engine to be gone', async () => running.every((p) => !alive(p.pid)), 60_000);
  }, 360_000);
});

/** All processes below `pid` (children, their children, …), read from ps. */
function descendants(pid: number): { pid: number; args: string }[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
  const found: { pid: number; args: string }[] = [];
  const visit = (parent: number) => {
    for (const row of rows.filter((r) => r.ppid === parent)) {
      found.push({ pid: row.pid, args: row.args });
      visit(row.pid);
    }
  };
  visit(pid);
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
