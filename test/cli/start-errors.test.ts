/**
 * Bad configuration must stop `npm start` with one clear sentence and a remedy, never a stack trace.
 * These run the real entry point as a child process, as a user would.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

function runStart(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    // What `npm start` runs: bootstrap.cjs compiles the CLI (dist/cli.cjs) and runs it.
    execFile(
      process.execPath,
      ['src/bootstrap.cjs', 'start'],
      { cwd: root, env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: '', TEMPORAL_ADDRESS: '', ...env }, timeout: 60_000 },
      (error, _stdout, stderr) => done({ code: error ? ((error.code as number | null) ?? 1) : 0, stderr }),
    );
  });
}

function expectClearFailure(result: { code: number | null; stderr: string }, message: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).toMatch(/→ /); // the remedy line
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack frames
}

describe('npm start with bad configuration', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'cs-start-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('names an unreachable DATABASE_URL and what to do', async () => {
    const result = await runStart({ CS_DATA_DIR: dataDir, DATABASE_URL: 'postgresql://nobody:secret@127.0.0.1:1/none' });
    expectClearFailure(result, /Cannot reach PostgreSQL at postgresql:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none/);
    expect(result.stderr).not.toContain('secret');
  });

  it('names a Temporal port that is already taken and the variable that moves it', async () => {
    const blocker: Server = createServer();
    const port = await new Promise<number>((ready) => blocker.listen(0, '127.0.0.1', () => ready((blocker.address() as { port: number }).port)));
    try {
      const result = await runStart({ CS_DATA_DIR: dataDir, TEMPORAL_PORT: String(port) });
      expectClearFailure(result, new RegExp(`Port 127\\.0\\.0\\.1:${port} for the Temporal frontend is already in use`));
      expect(result.stderr).toContain('TEMPORAL_PORT=');
    } finally {
      blocker.close();
    }
  });

  // The definition is TypeScript, which the compiled CLI loads through tsx on demand.
  it('refuses an invalid lifecycle definition with each wrong field and starts nothing', async () => {
    const result = await runStart({ CS_DATA_DIR: dataDir, LIFECYCLE_DEFINITION: 'test/fixtures/invalid-lifecycle.ts' });
    expectClearFailure(result, /lifecycle definition in .*invalid-lifecycle\.ts is invalid/);
    expect(result.stderr).toContain('stages.1.sla.stuckAfterDays');
    expect(result.stderr).toContain('defaultHealthModel: unknown health model "no-such-model"');
    expect(result.stderr).toMatch(/plays\.\d+\.steps\.0\.to: /);
    expect(result.stderr).toMatch(/plays\.\d+\.steps\.0\.subject: unknown placeholder \{\{customer\.nmae\}\}/);
    expect(result.stderr).not.toContain('starting the Temporal dev server');
  });

  it('names an invalid setting with the variable and the reason', async () => {
    const result = await runStart({ CS_DATA_DIR: dataDir, TEMPORAL_UI_PORT: 'eighty' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('TEMPORAL_UI_PORT: must be a port number');
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
