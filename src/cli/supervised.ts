/**
 * The child's side of `npm start`'s supervision (`start.ts`): `cli worker` and `cli api` run there
 * as child processes with an IPC channel to the supervisor. Over it they say when they are ready,
 * and its closing means the supervisor is gone (Ctrl-C, a crash, SIGKILL) or lets them go: they stop
 * then, so no worker or API outlives the engine. Without a channel (run by hand) nothing changes.
 */

export type SupervisorMessage = { ready: 'worker' } | { ready: 'api'; url: string };

/** True when this process was started by the supervisor. */
export function supervised(): boolean {
  return typeof process.send === 'function';
}

export function tellSupervisor(message: SupervisorMessage): void {
  if (process.connected) process.send?.(message, undefined, {}, () => undefined);
}

/** How long a child may take to stop by itself once the supervisor is gone; then it exits. */
const ORPHAN_EXIT_MS = 15_000;

/**
 * Runs `stop` when the channel closes. A child whose supervisor died has nobody left to kill it, so
 * it exits by itself if stopping takes too long (a worker waiting on a database that went with it).
 */
export function onSupervisorGone(stop: () => void): void {
  if (!supervised()) return;
  process.once('disconnect', () => {
    setTimeout(() => process.exit(1), ORPHAN_EXIT_MS).unref();
    stop();
  });
}
