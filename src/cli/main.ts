/**
 * The engine's one command-line entry point (`npm run cli -- <command>`; `npm start` runs `start`).
 * Turns configuration and setup problems into one clear message instead of a stack trace.
 */
import { loadConfig } from '../config';
import { isSetupError, formatSetupError } from '../dev-infra/setup-error';
import { runApi } from './api';
import { apiKeyCommand, importCustomers, listCustomers, printMetrics, sendEvent, showCustomer } from './commands';
import { runEngine } from './start';

const USAGE = `Usage: npm run cli -- <command> [options]

Run the engine
  start                      Temporal dev server + Web UI, database, worker, HTTP API and a demo portfolio
  worker                     only the worker (TEMPORAL_ADDRESS: against an existing Temporal server)
  api                        only the HTTP API (TEMPORAL_ADDRESS, DATABASE_URL)

Work with customers (through the HTTP API: CS_API_URL, CS_API_KEY; defaults to the local engine)
  send-event --customer <id> (--json '<event>' | --file <event.json>)
                             send one event; its "id" is the idempotency key
  show <customerId>          stage, SLA, health with its dimensions, what is left, recent timeline
  metrics [--days 90] [--json]
                             NRR, GRR, NPS, time to value, health, renewals due, at risk, books of business
  import <customers.csv>     create customers from sales handoffs; columns customerId,name,arr,
                             contractStart,contractEnd,csmOwner[,segment,complexity,seatsPurchased,
                             timezone,championName,championEmail]; every row is checked first

List customers (Temporal visibility)
  list [--stage S] [--band green|yellow|red] [--csm EMAIL] [--segment ID] [--limit N]

Keys (database)
  api-key create <name> [--scopes events:write,customers:write,read,tasks:write]
  api-key revoke <name>

Settings come from the environment (see the README's configuration table).
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
    } else if (error instanceof Error && (error.name === 'ConfigError' || error.name === 'UsageError')) {
      process.stderr.write(`\n✖ ${error.message}\n`);
    } else if (error instanceof Error && error.name === 'TypeError' && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`\n✖ ${error.message}\n\n${USAGE}`);
    } else {
      process.stderr.write(`\n✖ Unexpected failure:\n${error instanceof Error ? error.stack : String(error)}\n`);
    }
    process.exit(1);
  },
);
