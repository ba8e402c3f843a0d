/**
 * The package's `bin` (`src/cli/bin.cjs`): `npx cs-lifecycle …` in the repo must be the same CLI as
 * `npm run cli -- …`, with its exit code. Run as a user runs it, through npx from the repo root.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(command, args, { cwd: root, timeout: 90_000 }, (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })),
  );
}

describe('the cs-lifecycle executable', () => {
  it('is declared in package.json and is an executable node script', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    expect(pkg.bin).toEqual({ 'cs-lifecycle': 'src/cli/bin.cjs' });
    const shim = join(root, 'src/cli/bin.cjs');
    expect(readFileSync(shim, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    expect(() => accessSync(shim, constants.X_OK)).not.toThrow();
  });

  it('answers `npx cs-lifecycle --help` with the CLI usage', async () => {
    const result = await run('npx', ['--no-install', 'cs-lifecycle', '--help']);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: npm run cli -- <command>/) });
  });

  it('passes arguments through: `show --help` is that command’s help', async () => {
    const result = await run(join(root, 'src/cli/bin.cjs'), ['show', '--help']);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: npm run cli -- show <customerId>/) });
  });

  it('exits with the CLI’s own code for an unknown command', async () => {
    const result = await run(join(root, 'src/cli/bin.cjs'), ['launch']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Unknown command "launch"/);
  });
});
