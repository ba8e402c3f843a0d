/**
 * What `npm start` and `cli worker` both need to stop cleanly: a stack of cleanups run once, newest
 * first, whichever of Ctrl-C, SIGTERM, the supervisor going away or the process's own end asks
 * first; and whether a stop was asked, so start-up work still under way can give up.
 */
import { progress } from '../dev-infra/progress';

export type Cleanup = () => Promise<void>;

export interface Shutdown {
  /** Registers what to undo; undone in reverse order, a failing cleanup not stopping the rest. */
  push(cleanup: Cleanup): void;
  /** Runs every cleanup once; later calls wait for the same run. */
  stopAll(): Promise<void>;
  /** Stops everything and exits 130, as for Ctrl-C. Also what SIGINT and SIGTERM do. */
  interrupt(): void;
  /** Whether a stop was asked (start-up should not go on). */
  readonly interrupted: boolean;
}

export function handleShutdown(): Shutdown {
  const cleanups: Cleanup[] = [];
  let stopping: Promise<void> | undefined;
  let interrupted = false;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    })());
  const interrupt = () => {
    interrupted = true;
    progress('stopping …');
    void stopAll().then(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  return {
    push: (cleanup) => void cleanups.push(cleanup),
    stopAll,
    interrupt,
    get interrupted() {
      return interrupted;
    },
  };
}
