/**
 * Replays saved histories of customers (test/fixtures/histories) against the current workflow code.
 * A change that would break customers already running (non-determinism) fails here, in CI, instead of
 * in production. Intentional changes go behind `patched()`; see the README.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/servers';

const dir = join(__dirname, '../fixtures/histories');
const files = readdirSync(dir)
  .filter((file) => file.endsWith('.binpb'))
  .sort();

/**
 * The id the workflow ran under when it was recorded: a customer's play runs are named after its
 * workflow id, so replaying under another id would start differently named children. Files named
 * `<scenario>--<play>-<n>.binpb` are play runs, whose code does not depend on their own id.
 */
const recordedWorkflowId = (file: string) => {
  const scenario = file.replace(/\.binpb$/, '');
  return scenario.includes('--') ? `replay-${scenario}` : `customer:fixture-${scenario}`;
};

describe('replaying saved customer histories', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('replays %s without non-determinism', async (file) => {
    const history = temporal.api.history.v1.History.decode(readFileSync(join(dir, file)));
    const results = Worker.runReplayHistories({ workflowBundle: workflowBundle() }, [{ workflowId: recordedWorkflowId(file), history }]);
    for await (const result of results) expect(result.error).toBeUndefined();
  });
});
