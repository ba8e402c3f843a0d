/**
 * One owner at a time for an embedded PGlite folder. PGlite is a single-process database: a second
 * process opening the same folder works on its own copy of the pages and its writes are lost or
 * lost to the first (an API key "created" that the running engine never sees). So whoever opens
 * the folder first writes `<folder>.lock` (created exclusively, holding its pid); anyone else is
 * refused with a SetupError naming the holder. A lock whose pid is no longer alive (the owner was
 * killed) is stale and taken over. A pid reused by an unrelated process looks alive: the message
 * then says which file to delete.
 *
 * The lock is advisory between this project's processes; it does not stop a foreign program.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { SetupError } from '../dev-infra/setup-error';

export interface PgliteLockOwner {
  pid: number;
  /** What the owner runs, e.g. `cli start`: for the message that names it. */
  command: string;
  since: string;
}

export interface PgliteLock {
  file: string;
  release(): void;
}

export function pgliteLockFile(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, '')}.lock`;
}

/** Takes the lock on `dataDir` or throws a SetupError naming who holds it. */
export function acquirePgliteLock(dataDir: string): PgliteLock {
  const file = pgliteLockFile(dataDir);
  const me: PgliteLockOwner = { pid: process.pid, command: describeProcess(), since: new Date().toISOString() };
  // Written whole under another name and linked into place: the lock never exists half-written (a
  // reader would take an empty file for a stale one), and link, like an exclusive create, fails when
  // the name is taken.
  const draft = `${file}.new-${process.pid}-${Date.now()}`;
  writeFileSync(draft, `${JSON.stringify(me)}\n`, { mode: 0o600 });
  try {
    // A few rounds: one that finds a stale lock moves it away and tries again.
    for (let attempt = 0; ; attempt += 1) {
      try {
        linkSync(draft, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readPgliteLock(dataDir);
      // Our own pid in a lock we do not hold is a leftover (a container restarts its engine as pid 1).
      if ((holder && holderLives(holder.pid, file)) || attempt >= 4) {
        throw new SetupError(
          `The embedded database in ${dataDir} is in use by process ${holder?.pid} (${holder?.command}, since ${holder?.since}); PGlite must not be opened by two processes at once.`,
          `Use the running engine (the CLI's commands go through its HTTP API), or stop process ${holder?.pid} first. If no such process runs, delete ${file}.`,
        );
      }
      removeStaleLock(file);
    }
  } finally {
    unlinkSync(draft);
  }
  heldHere.add(file);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    heldHere.delete(file);
    process.removeListener('exit', release);
    // Only our own lock: never remove one another process took over meanwhile.
    if (readPgliteLock(dataDir)?.pid === process.pid) unlinkSync(file);
  };
  // A normal exit without close() (an uncaught error) must not leave a lock that looks alive.
  process.once('exit', release);
  return { file, release };
}

/** Lock files this process holds: its own pid in any other lock file is a leftover. */
const heldHere = new Set<string>();

/**
 * Whether a lock's holder still runs. Our own pid in a lock we do not hold is a leftover of an
 * earlier process that had it (a container restarts its engine as pid 1 every time).
 */
function holderLives(pid: number, file: string): boolean {
  if (pid === process.pid) return heldHere.has(file);
  return isAlive(pid);
}

/**
 * The owner died without releasing (SIGKILL, a crash): move its lock aside, atomically, and look at
 * what was moved. Two processes that found the same stale lock race here; if the file moved turns
 * out to be a live lock the other one has just written, it is linked back (link, unlike rename,
 * never overwrites) and the next round refuses.
 */
function removeStaleLock(file: string): void {
  const aside = `${file}.stale-${process.pid}-${Date.now()}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else moved it
    throw error;
  }
  try {
    const moved = parseLock(readFileSync(aside, 'utf8'));
    if (holderLives(moved.pid, file)) {
      try {
        linkSync(aside, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  } finally {
    unlinkSync(aside);
  }
}

/** The lock's holder, when the folder is locked (alive or not); undefined when it is not. */
export function readPgliteLock(dataDir: string): PgliteLockOwner | undefined {
  let text: string;
  try {
    text = readFileSync(pgliteLockFile(dataDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseLock(text);
}

function parseLock(text: string): PgliteLockOwner {
  try {
    const parsed = JSON.parse(text) as Partial<PgliteLockOwner>;
    if (typeof parsed.pid === 'number' && Number.isInteger(parsed.pid) && parsed.pid > 0) {
      return { pid: parsed.pid, command: String(parsed.command ?? 'unknown'), since: String(parsed.since ?? 'unknown') };
    }
  } catch {
    // A file cut short by a crash while it was written: nobody holds it.
  }
  return { pid: 0, command: 'unreadable lock file', since: 'unknown' };
}

/** The lock's holder when it is a live process: a running engine (or API, or worker) owns the folder. */
export function livePgliteLockHolder(dataDir: string): PgliteLockOwner | undefined {
  const holder = readPgliteLock(dataDir);
  return holder && isAlive(holder.pid) ? holder : undefined;
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user, which still holds the folder.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describeProcess(): string {
  const args = process.argv.slice(1).map((arg) => arg.replace(/^.*\/src\/cli\/main\.ts$/, 'cli'));
  return args.join(' ').slice(0, 200) || 'node';
}
