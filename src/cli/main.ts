/**
 * The engine's one command-line entry point (`npm run cli -- <command>`; `npm start` runs `start`).
 * Turns configuration and setup problems into one clear message instead of a stack trace.
 */
import { isSetupError, formatSetupError } from '../dev-infra/setup-error';
import { runEngine } from './start';

const USAGE = `Usage: cs-lifecycle <command>

Commands:
  start    Run the engine: Temporal dev server + Web UI, database, worker and a demo customer
  worker   Run only the worker (with TEMPORAL_ADDRESS: against an existing Temporal server)

Settings come from the environment: DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_PORT, TEMPORAL_UI_PORT,
TEMPORAL_NAMESPACE, TEMPORAL_RETENTION_DAYS, CS_DATA_DIR (see README).
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case 'start':
      await runEngine({ demo: true });
      return 0;
    case 'worker':
      await runEngine({ demo: false });
      return 0;
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (isSetupError(error)) {
      process.stderr.write(formatSetupError(error));
    } else if (error instanceof Error && error.name === 'ConfigError') {
      process.stderr.write(`\n✖ ${error.message}\n`);
    } else {
      process.stderr.write(`\n✖ Unexpected failure:\n${error instanceof Error ? error.stack : String(error)}\n`);
    }
    process.exit(1);
  },
);
