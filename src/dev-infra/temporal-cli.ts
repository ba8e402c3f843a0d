/**
 * Finds or builds the official Temporal CLI, whose `server start-dev` is our dev server (persistent
 * SQLite, visibility queries, the Web UI compiled in).
 *
 * These machines reach package registries only, so the SDK's usual download from Temporal's site
 * cannot be the first route. Order, first hit wins:
 *   1. `TEMPORAL_CLI_PATH` (an operator's own binary);
 *   2. a build cached outside the work tree (shared by every clone, never rebuilt for the same pin);
 *   3. `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` from the Go module proxy;
 *   4. the SDK's own download, for users' machines that have internet.
 * v1.5.1 is pinned because it is the newest tag `go install pkg@version` accepts (later go.mod files
 * carry a `replace ./cliext`); it needs Go >= 1.25.
 *
 * This module only provisions: starting the server is `dev-server.ts`.
 */
import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from './cache';
import { progress, withHeartbeat } from './progress';
import { SetupError } from './setup-error';

export const TEMPORAL_CLI_VERSION = '1.5.1';
const CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
const MIN_GO_MINOR = 25;

const execFileAsync = promisify(execFile);

export interface CliResolution {
  env?: NodeJS.ProcessEnv;
  /** Fetches the CLI into `downloadDir`; the SDK's download unless a test passes its own. */
  sdkDownload?: (downloadDir: string) => Promise<void>;
  /** Where progress lines go; `progress` (stderr) unless a test wants silence. */
  report?: (message: string) => void;
}

export async function ensureTemporalCli(options: CliResolution = {}): Promise<string> {
  const env = options.env ?? process.env;
  const sdkDownload = options.sdkDownload ?? downloadThroughSdk;
  const report = options.report ?? progress;
  const fromEnv = env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutableFile(fromEnv)) {
      throw new SetupError(
        `TEMPORAL_CLI_PATH points at ${fromEnv}, which is not an executable file.`,
        'Point TEMPORAL_CLI_PATH at a `temporal` binary, or unset it to let the project build one.',
      );
    }
    return fromEnv;
  }

  const buildDir = cacheDir(env, 'temporal-cli', `v${TEMPORAL_CLI_VERSION}`);
  const cached = join(buildDir, 'temporal');
  if (isExecutableFile(cached)) return cached;
  const fallBack = (why: string) => downloadWithSdk(cacheDir(env, 'temporal-cli', 'sdk-download'), why, sdkDownload, report);

  const goProblem = await goToolchainProblem(env);
  if (goProblem) return fallBack(goProblem);
  try {
    await goInstall(buildDir, env);
    return cached;
  } catch (error) {
    report(`building the Temporal CLI with Go failed: ${(error as Error).message.split('\n').slice(-3).join(' ')}`);
    return fallBack(`go install failed (${firstLine(error)})`);
  }
}

function isExecutableFile(path: string): boolean {
  try {
    const stat = statSync(path);
    return stat.isFile() && (stat.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0] ?? '';
}

/** Undefined when a Go toolchain new enough to build the CLI is on PATH, else why not. */
export async function goToolchainProblem(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('go', ['env', 'GOVERSION'], { env });
    const match = /^go1\.(\d+)/.exec(stdout.trim());
    if (!match) return `could not read the Go version (${stdout.trim()})`;
    if (Number(match[1]) < MIN_GO_MINOR) return `Go ${stdout.trim()} is older than go1.${MIN_GO_MINOR}`;
    return undefined;
  } catch {
    return 'no Go toolchain on PATH';
  }
}

/**
 * Builds into a scratch GOBIN inside the cache and renames into place, so an interrupted build
 * never leaves a half-written binary that a later run would trust.
 */
async function goInstall(buildDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  progress(
    `building the Temporal CLI v${TEMPORAL_CLI_VERSION} from the Go module proxy into ${buildDir} ` +
      '(first run only: a large module download and a few minutes of compile on 2 cores)',
  );
  const scratch = mkdtempSync(join(buildDir, '.build-'));
  try {
    const args = [
      'install',
      '-trimpath',
      '-ldflags',
      `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
      `${CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`,
    ];
    await withHeartbeat('go install temporal', runGo(args, scratch, env));
    renameSync(join(scratch, 'temporal'), join(buildDir, 'temporal'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function runGo(args: string[], gobin: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    // -x would be too chatty; Go prints "go: downloading …" lines itself, which we forward as progress.
    const child = spawn('go', args, {
      env: { ...env, GOBIN: gobin, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    let downloads = 0;
    const onLine = (line: string) => {
      if (!line.trim()) return;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (line.startsWith('go: downloading')) {
        downloads += 1;
        if (downloads % 25 === 1) progress(`go: ${downloads} modules downloaded so far (${line.slice(16)})`);
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`go install exited with ${code}:\n${tail.join('\n')}`))));
  });
}

/**
 * Last resort for machines with internet: the SDK downloads the CLI into our cache. We only want the
 * binary (dev-server.ts starts it with our flags), so the throwaway server it starts is torn down.
 */
async function downloadWithSdk(
  downloadDir: string,
  whyNotGo: string,
  sdkDownload: (downloadDir: string) => Promise<void>,
  report: (message: string) => void,
): Promise<string> {
  const existing = findDownloadedCli(downloadDir);
  if (existing) return existing;
  report(`cannot build the Temporal CLI (${whyNotGo}); trying the SDK's download from Temporal's site`);
  try {
    await sdkDownload(downloadDir);
  } catch (error) {
    throw new SetupError(
      `Could not get the Temporal CLI: ${whyNotGo}, and the SDK's download failed (${firstLine(error)}).`,
      `Install Go >= 1.${MIN_GO_MINOR} with access to the Go module proxy (the project then builds the CLI itself), ` +
        'or set TEMPORAL_CLI_PATH to an existing `temporal` binary.',
      { cause: error },
    );
  }
  const downloaded = findDownloadedCli(downloadDir);
  if (!downloaded) {
    throw new SetupError(
      `The SDK's download finished but no temporal binary was found in ${downloadDir}.`,
      'Set TEMPORAL_CLI_PATH to an existing `temporal` binary.',
    );
  }
  return downloaded;
}

async function downloadThroughSdk(downloadDir: string): Promise<void> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir, ttl: '3650 days' } },
  });
  await env.teardown();
}

function findDownloadedCli(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const name = readdirSync(dir).find((entry) => entry.startsWith('temporal') && isExecutableFile(join(dir, entry)));
  return name ? join(dir, name) : undefined;
}
