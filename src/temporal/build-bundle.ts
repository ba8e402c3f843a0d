/**
 * `npm run build:workflows [out]`: the workflow code bundled once, ahead of time (the container
 * image does this while it is built), so a worker started with WORKFLOW_BUNDLE loads it instead of
 * running webpack at every start-up — faster starts, and every replica runs the very same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_OPTIONS } from './worker';

async function main(out = 'dist/workflow-bundle.js'): Promise<void> {
  const { code } = await bundleWorkflowCode(WORKFLOW_BUNDLE_OPTIONS);
  const path = resolve(out);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, code);
  process.stderr.write(`[setup] workflow bundle written to ${path} (${(code.length / 1024).toFixed(0)} KiB)\n`);
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
