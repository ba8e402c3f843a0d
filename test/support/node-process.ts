/**
 * Runs one of the project's entry points as a separate Node process (TypeScript through tsx), the
 * way a deployment runs it, and waits until its output shows it is ready.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

export interface ReadyProcess {
  child: ChildProcess;
  /** The match of `ready` in the process's output (stdout or stderr). */
  ready: RegExpMatchArray;
  /** Everything the process wrote so far, for failure messages. */
  output(): string;
  /** SIGTERM (or the given signal), then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startNodeProcess(script: string, args: string[], env: Record<string, string | undefined>, ready: RegExp): Promise<ReadyProcess> {
  // A .cjs entry (src/bootstrap.cjs) is plain JavaScript; the TypeScript ones go through tsx.
  const loader = script.endsWith('.cjs') ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...loader, script, ...args], {
    cwd: ROOT,
    // Jest's own NODE_OPTIONS (if any) are not the child's business.
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const handle = (match: RegExpMatchArray): ReadyProcess => ({
    child,
    ready: match,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  });
  return new Promise((resolvePromise, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(ready);
      if (match) resolvePromise(handle(match));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`${script} ${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${output}`)));
  });
}
