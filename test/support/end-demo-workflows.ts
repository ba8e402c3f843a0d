/**
 * The demo's customer ids are fixed, and every test shares one dev server: a seeded demo customer's
 * workflow, or one of its play runs (children outlive their parent), left running would be adopted
 * or collided with by the next test that seeds the same ids, and then never progress, because its
 * task queue's worker is gone. So the test files that seed the demo take turns (`holdDemoIds`, a
 * lock file per dev server, across jest's worker processes) and end those workflows before they
 * let go. Two such files running side by side once made the second wait 300 s for customers that
 * were running on the first one's task queue.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { customerWorkflowId } from '../../src/domain/ids';

const runningDemoQuery = (id: string) => `WorkflowId STARTS_WITH "${customerWorkflowId(id)}" AND ExecutionStatus = "Running"`;

export async function endDemoWorkflows(client: Client, customerIds: Iterable<string>): Promise<void> {
  const ids = [...customerIds];
  const running = async () => {
    const found: string[] = [];
    for (const id of ids) for await (const execution of client.workflow.list({ query: runningDemoQuery(id) })) found.push(execution.workflowId);
    return found;
  };
  // Visibility trails the server by a moment: look again until none is listed (or 15 s passed).
  const deadline = Date.now() + 15_000;
  for (let found = await running(); found.length > 0 && Date.now() < deadline; found = await running()) {
    await Promise.all(
      found.map((workflowId) =>
        client.workflow
          .getHandle(workflowId)
          .terminate('test finished')
          .catch(() => undefined),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Waits until no other test file holds the demo's ids on this dev server, then holds them; the
 * returned function lets go. A lock left by a process that died is taken over.
 */
export async function holdDemoIds(devServerAddress: string, timeoutMs = 900_000): Promise<() => void> {
  const path = join(tmpdir(), `cs-lifecycle-demo-ids-${devServerAddress.replace(/[^A-Za-z0-9]/g, '_')}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8').trim() || 0);
      if (holder > 0 && !alive(holder)) unlinkSync(path);
      else if (Date.now() > deadline) throw new Error(`the demo ids on ${devServerAddress} stayed held by process ${holder} for ${timeoutMs / 1000} s`);
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
