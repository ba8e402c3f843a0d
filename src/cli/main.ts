/**
 * The engine's one command-line entry point (`npm run cli -- <command>`; `npm start` runs `start`).
 * Turns configuration and setup problems into one clear message instead of a stack trace.
 */
import { loadConfig } from '../config';
import { isSetupError, formatSetupError } from '../dev-infra/setup-error';
import { runApi } from './api';
import { backtestCommand } from './backtest';
import { apiKeyCommand, importCustomers, listCustomers, printMetrics, sendEvent, showCustomer } from './commands';
import { simulateCommand } from './simulate';
import { lifecycleCommand } from './lifecycle';
import { runStart } from './start';
import { runWorker } from './worker';
import { commandHelp, USAGE } from './usage';

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  // `cli show --help` is a question, not a customer called "--help".
  if (command && argv.slice(1).some((arg) => arg === '--help' || arg === '-h')) {
    const help = commandHelp(command);
    if (help) {
      process.stdout.write(help);
      return 0;
    }
  }
  switch (command) {
    case 'start':
      await runStart();
      return 0;
    case 'worker':
      await runWorker();
      return 0;
    case 'api':
      await runApi(loadConfig());
      return 0;
    case 'send-event':
      await sendEvent(loadConfig(), argv.slice(1));
      return 0;
    case 'show':
      await showCustomer(loadConfig(), argv.slice(1));
      return 0;
    case 'list':
      await listCustomers(loadConfig(), argv.slice(1));
      return 0;
    case 'metrics':
      await printMetrics(loadConfig(), argv.slice(1));
      return 0;
    case 'import':
      await importCustomers(loadConfig(), argv.slice(1));
      return 0;
    case 'simulate':
      return simulateCommand(loadConfig(), argv.slice(1));
    case 'lifecycle':
      return lifecycleCommand(loadConfig(), argv.slice(1));
    case 'backtest':
      return backtestCommand(loadConfig(), argv.slice(1));
    case 'api-key':
      await apiKeyCommand(loadConfig(), argv.slice(1));
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
    } else if (error instanceof Error && ['ConfigError', 'UsageError', 'ApiCallError', 'ApiUnreachableError'].includes(error.name)) {
      process.stderr.write(`\n✖ ${error.message}\n`);
    } else if (error instanceof Error && error.name === 'TypeError' && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`\n✖ ${error.message}\n\n${USAGE}`);
    } else {
      process.stderr.write(`\n✖ Unexpected failure:\n${error instanceof Error ? error.stack : String(error)}\n`);
    }
    process.exit(1);
  },
);
