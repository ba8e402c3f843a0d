/**
 * Provisions the official Temporal Java time-skipping test server for `TestWorkflowEnvironment`.
 *
 * The SDK normally downloads a native test server from Temporal's site, which these machines cannot
 * reach; Maven Central they can. So we fetch the server's jars with Maven into a cache outside the
 * work tree and hand the SDK a wrapper script as `{ type: 'existing-path', path }`. The SDK gives the
 * server only 5 s to open its port, which a cold JVM on a busy 2-core box does not always make, so
 * the build also records an AppCDS archive that cuts the wrapper's start-up by more than half.
 * Order: `TEMPORAL_TEST_SERVER_PATH`, then the cached build, then a fresh build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { connect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { cacheDir } from './cache';
import { progress, withHeartbeat } from './progress';
import { SetupError } from './setup-error';

export const TEST_SERVER_VERSION = '1.38.0';
const SLF4J_NOP_VERSION = '2.0.20'; // without a provider slf4j prints a warning on every start
// C1 only and the serial GC: the server is small and short-lived, so start-up is what counts.
const JVM_FLAGS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';
const MAIN_CLASS = 'io.temporal.testserver.TestServer';
const OR_EXISTING = 'or set TEMPORAL_TEST_SERVER_PATH to an existing time-skipping test server executable.';
const INSTALL = `Install them (e.g. \`apt-get install -y openjdk-17-jre-headless maven\`), ${OR_EXISTING}`;

/**
 * Returns an executable usable as the SDK's `{ type: 'existing-path', path }`. Idempotent: once built,
 * a call only checks files. `env` stands in for `process.env` (tests).
 */
export async function ensureTimeSkippingTestServer(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env.TEMPORAL_TEST_SERVER_PATH;
  if (fromEnv && !fs.existsSync(fromEnv)) {
    throw new SetupError(
      `TEMPORAL_TEST_SERVER_PATH points at ${fromEnv}, which does not exist.`,
      'Point it at an existing time-skipping test server executable, or unset it to let the project build one.',
    );
  }
  if (fromEnv) return fromEnv;
  const dir = cacheDir(env, 'temporal-test-server', TEST_SERVER_VERSION);
  const wrapper = join(dir, 'temporal-test-server');
  const ready = join(dir, 'ready');
  const lock = join(dir, 'build.lock');
  // Checked even when cached: otherwise the SDK would only report a start-up timeout.
  if (!onPath('java', env)) throw new SetupError('The test server needs Java; there is no `java` on PATH.', INSTALL);
  if (fs.existsSync(ready)) return wrapper;
  if (!onPath('mvn', env)) throw new SetupError('Building the test server needs Maven; no `mvn` on PATH.', INSTALL);
  // A parallel test worker may be building already; its result is ours too.
  while (!tryLock(lock)) {
    await sleep(500);
    if (fs.existsSync(ready)) return wrapper;
  }
  try {
    if (!fs.existsSync(ready)) await build(dir, wrapper, ready, env);
  } finally {
    fs.rmSync(lock, { force: true });
  }
  return wrapper;
}

/** Everything goes to `.partial` names and `ready` is written last, so an interrupted build is redone. */
async function build(dir: string, wrapper: string, ready: string, env: NodeJS.ProcessEnv): Promise<void> {
  progress(`provisioning the Temporal test server ${TEST_SERVER_VERSION} from Maven Central into ${dir} (first run)`);
  const pom = join(dir, 'pom.xml');
  const lib = join(dir, 'lib');
  const partialLib = join(dir, 'lib.partial');
  const archive = join(dir, 'test-server.jsa');
  writeAtomically(pom, pomXml());
  fs.rmSync(partialLib, { recursive: true, force: true });
  const mvnArgs = ['-B', '-q', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime'];
  const mvn = run('mvn', [...mvnArgs, `-DoutputDirectory=${partialLib}`], env);
  const { code, output } = await withHeartbeat('downloading the test server jars (mvn)', mvn.done);
  if (code !== 0) {
    throw new SetupError(
      `Maven Central could not be reached to download io.temporal:temporal-test-server:` +
        `${TEST_SERVER_VERSION} (mvn exited with ${code}). Last mvn output:\n${lastLines(output, 8)}`,
      `Check access to Maven Central (or set a mirror in ~/.m2/settings.xml), ${OR_EXISTING}`,
    );
  }
  // Into place before recording the archive: CDS rejects an archive dumped from another class path.
  fs.rmSync(lib, { recursive: true, force: true });
  fs.renameSync(partialLib, lib);
  const cds = (await withHeartbeat('recording a class-data-sharing archive', dumpArchive(lib, archive, env)))
    ? `-XX:SharedArchiveFile=${quote(archive)} -Xshare:auto ` // auto: a stale archive costs speed, never a start
    : '';
  // `exec` so the pid the SDK SIGKILLs on teardown is the JVM itself, not a shell that would orphan it.
  const script = `#!/bin/sh\nLIBDIR=${quote(lib)}\nexec java ${JVM_FLAGS} ${cds}-cp "$LIBDIR/*" ${MAIN_CLASS} "$@"\n`;
  writeAtomically(wrapper, script, 0o755);
  writeAtomically(ready, `${new Date().toISOString()}\n`);
}

/**
 * Starts the server once with -XX:ArchiveClassesAtExit, waits for its port and stops it with SIGTERM
 * (a normal JVM exit, which writes the archive). False when no archive came out: the wrapper then
 * starts without one, slower but working.
 */
async function dumpArchive(lib: string, archive: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const partial = `${archive}.partial`;
  fs.rmSync(partial, { force: true });
  const port = await freePort();
  const flags = [...JVM_FLAGS.split(' '), `-XX:ArchiveClassesAtExit=${partial}`, '-cp', `${lib}/*`];
  const server = run('java', [...flags, MAIN_CLASS, String(port)], env);
  const up = await waitForPort(port, server.child, Date.now() + 60_000);
  server.child.kill(up ? 'SIGTERM' : 'SIGKILL');
  const { output } = await server.done;
  if (up && fs.existsSync(partial) && fs.statSync(partial).size > 0) {
    fs.renameSync(partial, archive);
    return true;
  }
  fs.rmSync(partial, { force: true });
  progress(`no class-data-sharing archive, the test server will start slower: ${lastLines(output, 3)}`);
  return false;
}

type Run = { child: ChildProcess; done: Promise<{ code: number | null; output: string }> };
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const done: Run['done'] = new Promise((resolve) => {
    child.on('error', (error) => resolve({ code: -1, output: `${output}\n${error.message}` }));
    child.on('close', (code) => resolve({ code, output }));
  });
  return { child, done };
}

async function waitForPort(port: number, child: ChildProcess, deadline: number): Promise<boolean> {
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const settle = (value: boolean) => (socket.destroy(), resolve(value));
      socket.once('connect', () => settle(true)).once('error', () => settle(false));
    });
    if (open) return true;
    await sleep(100);
  }
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A lock file holding the builder's pid; one left by a dead process (Ctrl-C, crash) is removed. */
function tryLock(path: string): boolean {
  const mine = `${path}.${process.pid}`;
  fs.writeFileSync(mine, String(process.pid));
  try {
    if (succeeds(() => fs.linkSync(mine, path))) return true; // unlike open + write, a link is never half-done
    let holder = 0;
    succeeds(() => (holder = Number(fs.readFileSync(path, 'utf8'))));
    if (holder && !succeeds(() => process.kill(holder, 0))) fs.rmSync(path, { force: true });
    return false;
  } finally {
    fs.rmSync(mine, { force: true });
  }
}

function succeeds(action: () => unknown): boolean {
  try {
    action();
    return true;
  } catch {
    return false;
  }
}

const onPath = (cmd: string, env: NodeJS.ProcessEnv) =>
  (env.PATH ?? '').split(delimiter).some((d) => succeeds(() => fs.accessSync(join(d, cmd), fs.constants.X_OK)));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Maven's colour codes and boilerplate ("re-run with -e", help links) would bury the actual error. */
const lastLines = (text: string, n: number) =>
  text
    // eslint-disable-next-line no-control-regex -- \x1b starts the ANSI colour codes being stripped
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((line) => /\w/.test(line.replace(/^\[\w+\]/, '')))
    .filter((line) => !/Re-run Maven|full stack trace|more information about|^\[\w+\] \[Help \d+\]/.test(line))
    .slice(-n)
    .join('\n');

function writeAtomically(path: string, content: string, mode = 0o644): void {
  fs.writeFileSync(`${path}.partial`, content, { mode });
  fs.renameSync(`${path}.partial`, path);
}

const pomXml = () => `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by src/dev-infra/test-server.ts, only to download the test server's jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.dev-infra</groupId><artifactId>temporal-test-server-jars</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId>
      <version>${TEST_SERVER_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId>
      <version>${SLF4J_NOP_VERSION}</version></dependency>
  </dependencies>
</project>
`;
