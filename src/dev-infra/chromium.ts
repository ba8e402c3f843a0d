/**
 * Headless Chromium for the browser tests, from Debian's packages: puppeteer's own browser download
 * cannot reach its host here, so `puppeteer-core` drives the system binary. Installed with apt-get
 * when missing and running as root, as PostgreSQL is.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { withHeartbeat } from './progress';
import { SetupError } from './setup-error';

const run = promisify(execFile);
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const INSTALL_REMEDY = 'Install Chromium (`sudo apt-get install -y chromium`) or set CHROMIUM_PATH to a Chromium binary.';

export async function ensureChromium(): Promise<string> {
  const given = process.env.CHROMIUM_PATH;
  if (given) {
    if (!existsSync(given)) throw new SetupError(`CHROMIUM_PATH is ${given}, which does not exist.`, INSTALL_REMEDY);
    return given;
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found) return found;
  if (process.getuid?.() !== 0) throw new SetupError('Chromium is not installed.', INSTALL_REMEDY);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await withHeartbeat('apt-get update', run('apt-get', ['update'], { env, maxBuffer: 64 << 20 }));
    await withHeartbeat('apt-get install chromium', run('apt-get', ['install', '-y', 'chromium', 'fonts-dejavu-core'], { env, maxBuffer: 64 << 20 }));
  } catch (cause) {
    const stderr = String((cause as { stderr?: unknown }).stderr ?? '')
      .trim()
      .split('\n')
      .slice(-5)
      .join('\n');
    throw new SetupError(`Installing Chromium with apt failed: ${stderr || (cause as Error).message}`, INSTALL_REMEDY, { cause });
  }
  const installed = CANDIDATES.find((path) => existsSync(path));
  if (!installed) throw new SetupError('apt installed chromium but no chromium binary appeared in /usr/bin.', INSTALL_REMEDY);
  return installed;
}
