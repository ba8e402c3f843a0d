#!/usr/bin/env node
/**
 * Runs one program (the Temporal dev server, a Go binary) as its child and ends it when whoever
 * started this watchdog goes away, even by SIGKILL: a Go binary cannot notice its parent dying, so
 * it would live on, holding its ports, after a crashed `npm start` or test run.
 *
 * Usage: spawned by Node with an IPC channel (stdio[3] = 'ipc'): `watchdog.cjs <program> [args…]`.
 * The channel closes when the parent dies or lets go; then the program gets SIGTERM, and SIGKILL 5 s
 * later. SIGTERM to the watchdog is passed on. The program's pid is sent over the channel (so the
 * parent can kill it directly as a last resort), and the watchdog exits with the program's code.
 * Plain CommonJS, no dependencies: it starts in a few milliseconds.
 */
'use strict';
const { spawn } = require('node:child_process');

const [program, ...args] = process.argv.slice(2);
if (!program || typeof process.send !== 'function') {
  process.stderr.write('watchdog: run me from Node with an IPC channel: spawn(node, [watchdog.cjs, program, …args], { stdio: […, "ipc"] })\n');
  process.exit(2);
}

const child = spawn(program, args, { stdio: ['ignore', 'inherit', 'inherit'] });
const running = () => child.exitCode === null && child.signalCode === null;
const signal = (name) => {
  if (running()) child.kill(name);
};

child.once('spawn', () => process.send({ pid: child.pid }, () => undefined));
child.once('error', (error) => {
  process.stderr.write(`watchdog: cannot start ${program}: ${error.message}\n`);
  process.exit(127);
});
child.once('exit', (code, killedBy) => process.exit(code ?? (killedBy ? 1 : 0)));

process.once('disconnect', () => {
  signal('SIGTERM');
  setTimeout(() => signal('SIGKILL'), 5_000).unref();
});
process.on('SIGTERM', () => signal('SIGTERM'));
// Ctrl-C reaches the whole process group, the program too: wait for it to stop by itself.
process.on('SIGINT', () => undefined);
