/**
 * Where provisioned tools live: outside the work tree, shared by every clone on the machine, so a
 * second `npm test` or `npm start` rebuilds nothing. `CS_LIFECYCLE_CACHE_DIR` overrides it.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.CS_LIFECYCLE_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cs-lifecycle');
  mkdirSync(root, { recursive: true });
  return root;
}

export function cacheDir(env: NodeJS.ProcessEnv, ...parts: string[]): string {
  const dir = join(cacheRoot(env), ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}
