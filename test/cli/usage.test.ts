/** Every command answers `--help` with its own usage, as a user runs it. */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { commandHelp } from '../../src/cli/usage';

const root = resolve(__dirname, '../..');

describe('per-command help', () => {
  it.each([
    ['start', /^Usage: npm run cli -- start\n {4}Temporal dev server/],
    ['worker', /^Usage: npm run cli -- worker\n/],
    ['api', /^Usage: npm run cli -- api\n/],
    ['send-event', /^Usage: npm run cli -- send-event --customer <id> \(--json '<event>' \| --file <event.json>\)\n {4}send one event/],
    ['show', /^Usage: npm run cli -- show <customerId>\n {4}stage, SLA/],
    ['metrics', /^Usage: npm run cli -- metrics \[--days 90\] \[--json\]\n {4}NRR, GRR/],
    ['import', /columns customerId,name,arr,contractStart,contractEnd,csmOwner\[,segment/],
    ['list', /^Usage: npm run cli -- list \[--stage S\]/],
    ['simulate', /^Usage: npm run cli -- simulate <file\|folder>\.\.\. \[--definition <module\|version>\] \[--json\]\n {4}run scenario files/],
    ['backtest', /^Usage: npm run cli -- backtest --candidate <module\|version> \[--baseline <version\|module>\]/],
    ['api-key', /^Usage: npm run cli -- api-key create <name>.*\n {7}npm run cli -- api-key revoke <name>\n/],
    [
      'lifecycle',
      /^Usage: npm run cli -- lifecycle publish <module\|file\.json\|file\.yaml>.*\n[\s\S]*npm run cli -- lifecycle rollout <version>[\s\S]*npm run cli -- lifecycle status/,
    ],
  ])('%s', (command, expected) => {
    expect(commandHelp(command)).toMatch(expected);
  });

  it('knows no help for an unknown command', () => {
    expect(commandHelp('launch')).toBeUndefined();
  });

  it('prints it for `show --help` instead of looking up a customer called "--help"', async () => {
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((done) =>
      execFile(join(root, 'node_modules/.bin/tsx'), ['src/cli/main.ts', 'show', '--help'], { cwd: root, timeout: 60_000 }, (error, out) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stdout: out }),
      ),
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: npm run cli -- show <customerId>/);
  });
});
