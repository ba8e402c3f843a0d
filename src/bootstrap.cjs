#!/usr/bin/env node
/**
 * Entry of `npm start` and `npm test` on a fresh clone (and of `setup`, the install alone, which CI
 * runs before linting): plain Node with no dependencies, because it runs before `node_modules`
 * exists. It installs the npm dependencies when they are missing or older
 * than package-lock.json (which also generates the Prisma client through our postinstall), then hands
 * over to the TypeScript entry points. Provisioning of servers happens there, not here.
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function fail(message, remedy) {
  process.stderr.write(`\n✖ ${message}\n  → ${remedy}\n`);
  process.exit(1);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 10)) {
    fail(`Node ${process.versions.node} is too old.`, 'Install Node.js 20.10 or newer.');
  }
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function ensureDependencies() {
  const installedMarker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const stale = !existsSync(installedMarker) || mtime(lock) > mtime(installedMarker) || mtime(join(root, 'package.json')) > mtime(installedMarker);
  if (stale) {
    // `npm install` rather than `npm ci`: both install exactly what package-lock.json pins, but
    // `ci` also insists that every other platform's optional binary (swc, unrs-resolver, …) is
    // in the lock, and some registry mirrors do not serve those, so `ci` can refuse a good lock.
    process.stderr.write('[setup] installing npm dependencies (npm install) …\n');
    const result = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) {
      fail(`npm install failed (exit ${result.status}).`, 'Check the npm output above: the npm registry must be reachable for the first run.');
    }
  }
  // A checkout switched between branches can have node_modules but no generated client, or one
  // generated from an older schema (a pull that added a column).
  const client = join(root, 'src', 'generated', 'prisma', 'client.ts');
  if (!existsSync(client) || mtime(join(root, 'prisma', 'schema.prisma')) > mtime(client)) {
    const result = spawnSync(bin('prisma'), ['generate'], { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) fail('prisma generate failed.', 'Check prisma/schema.prisma and the output above.');
  }
}

/** Set by Ctrl-C or SIGTERM: no further child is started. */
let interrupted = false;

/** Runs a child in the foreground; Ctrl-C reaches it directly (same process group), so we only wait. */
function runForeground(command, args, env = process.env) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
  const onInterrupt = () => (interrupted = true);
  const onTerminate = () => {
    interrupted = true;
    child.kill('SIGTERM');
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onTerminate);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onTerminate);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

/**
 * PGlite loads parts of itself with a dynamic import(), which jest's module sandbox only allows
 * with --experimental-vm-modules. NODE_OPTIONS carries the flag into jest's worker processes.
 */
function jestEnv() {
  const flags = ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'];
  return { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, ...flags].filter(Boolean).join(' ') };
}

/** CLUSTER_TEST: unset or 1 runs the cluster test, 0 leaves it out; checked before minutes of work. */
function clusterTestSetting() {
  const cluster = process.env.CLUSTER_TEST ?? '';
  if (!['', '0', '1'].includes(cluster)) {
    fail(`CLUSTER_TEST=${cluster} is neither 0 nor 1.`, 'Leave it unset (the cluster test runs) or set CLUSTER_TEST=0 to skip it.');
  }
  return cluster;
}

/**
 * `npm test` runs jest twice, so the heavy part does not starve the rest on a 2-core machine:
 *   1. the suite without test/cluster/, two files at a time (the config's maxWorkers);
 *   2. then test/cluster/ alone: a real Temporal server and four engine processes (the
 *      multi-process fault test), which builds that server into the tool cache on its first run.
 * Arguments (paths, -t …) go to both runs; a run they select nothing in passes, so
 * `npm test -- test/cluster` runs only the second. CLUSTER_TEST=0 leaves the second out.
 */
async function runTests(args, cluster) {
  // Without arguments each run must find its tests; with them, one may rightly find none.
  const selecting = args.length > 0 ? ['--passWithNoTests'] : [];
  const phases = [
    { name: 'the suite', args: ['--testPathIgnorePatterns=/node_modules/', '--testPathIgnorePatterns=<rootDir>/test/cluster/'] },
    ...(cluster === '0' ? [] : [{ name: 'the cluster test (test/cluster/, alone)', args: ['--roots=<rootDir>/test/cluster', '--maxWorkers=1'] }]),
  ];
  const summary = [];
  let code = 0;
  for (const phase of phases) {
    if (interrupted) break;
    process.stderr.write(`[test] ${phase.name} …\n`);
    const started = Date.now();
    const phaseCode = await runForeground(bin('jest'), [...phase.args, ...selecting, ...args], jestEnv());
    summary.push(`[test] ${phase.name}: ${phaseCode === 0 ? 'passed' : `failed (exit ${phaseCode})`} in ${Math.round((Date.now() - started) / 1000)} s`);
    if (code === 0) code = phaseCode;
  }
  if (cluster === '0') summary.push('[test] the cluster test (test/cluster/): left out (CLUSTER_TEST=0)');
  process.stderr.write(`${summary.join('\n')}\n`);
  return code;
}

async function main() {
  checkNode();
  const [task, ...rest] = process.argv.slice(2);
  ensureDependencies();
  let code;
  switch (task) {
    case 'start':
      // In this process, from the compiled CLI: no tsx, and no launcher process kept beside the
      // engine for as long as it runs. main.ts reads process.argv (…, 'start', ...rest) and exits.
      try {
        var cliBundle = await require('./cli/bundle-cli.cjs').bundleCli();
      } catch (error) {
        fail(
          `could not compile the CLI: ${error.message.split('\n')[0]}`,
          'fix what esbuild names above (`npm run typecheck` shows it too), then start again.',
        );
      }
      require(cliBundle);
      return;
    case 'setup':
      // Only the install above: what `npm run lint` and `npm run format:check` need on a fresh clone.
      code = 0;
      break;
    case 'test': {
      const cluster = clusterTestSetting();
      process.stderr.write('[test] type-checking …\n');
      code = await runForeground(bin('tsc'), ['--noEmit', '-p', '.']);
      if (code === 0 && !interrupted) code = await runTests(rest, cluster);
      break;
    }
    default:
      fail(`unknown task "${task}"`, 'use `npm start`, `npm test` or `node src/bootstrap.cjs setup`.');
  }
  process.exit(code);
}

main();
