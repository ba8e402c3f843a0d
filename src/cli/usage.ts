/** The CLI's help: the whole usage, and each command's own part of it for `<command> --help`. */
export const USAGE = `Usage: npm run cli -- <command> [options]

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
  import <customers.csv> [--concurrency 8]
                             create customers from sales handoffs; columns customerId,name,arr,
                             contractStart,contractEnd,csmOwner[,segment,complexity,seatsPurchased,
                             timezone,championName,championEmail]; every row is checked first;
                             a re-run skips those already there

Lifecycle as code (in-process, no servers)
  simulate <file|folder>... [--definition <module|version>] [--json]
                             run scenario files (scenarios/) with simulated time: each customer's story and
                             each expectation passed or failed; exit 1 if any failed
  backtest --candidate <module|version> [--baseline <version|module>] [--customers '<visibility query>']
           [--from DATE] [--to DATE] [--html report.html] [--json] [--threads N]
                             replay each customer's recorded events (the database; with --customers, those
                             whose workflow matches the query) through the baseline (default: the version
                             each runs) and the candidate: stage paths, days per band, red earlier or later
                             and plays per play; --html writes a page with charts; --threads 0 runs in-process

Definition versions (the database; rollout and status also Temporal visibility)
  lifecycle publish <module|file.json|file.yaml> [--current] [--note "…"] [--by WHO]
                             validate a definition and store it under its version; a version's content
                             never changes (a changed definition needs a new version)
  lifecycle list [--json]    versions, which is current (new customers start on it), customers on each
  lifecycle rollout <version> [--customers '<visibility query>'] [--percent N] [--dry-run] [--allow-downgrade]
                             move running customers onto a published version; --percent takes a stable
                             slice (10 then 50 grows the same one); a re-run skips those already on it;
                             an older version (a roll-back) needs --allow-downgrade
  lifecycle status [--json]  running customers per version, roll-outs in progress and recent

List customers (Temporal visibility)
  list [--stage S] [--band green|yellow|red|insufficient_data] [--csm EMAIL] [--segment ID] [--limit N]

Keys (through the running engine's API, with a keys:write key; the database only when no engine runs;
without --scopes a key gets all but keys:write, the admin scope)
  api-key create <name> [--scopes events:write,customers:write,read,tasks:write,keys:write]
  api-key revoke <name>

Settings come from the environment (see the README's configuration table).
`;

/** What USAGE says of `command` (its lines and the indented lines under them), as its own help. */
export function commandHelp(command: string): string | undefined {
  const lines = USAGE.split('\n');
  const entries: string[] = [];
  lines.forEach((line, index) => {
    if (!line.startsWith(`  ${command} `) && line !== `  ${command}`) return;
    const [syntax = '', ...description] = line.trim().split(/\s{2,}/);
    for (const next of lines.slice(index + 1)) {
      if (!/^ {4,}\S/.test(next)) break;
      description.push(next.trim());
    }
    // A wrapped list ("arr," / "contractStart") joins without a space.
    const text = description.reduce((all, part) => (all === '' ? part : all.endsWith(',') ? `${all}${part}` : `${all} ${part}`), '');
    entries.push(`npm run cli -- ${syntax}${text ? `\n    ${text}` : ''}`);
  });
  if (entries.length === 0) return undefined;
  return `Usage: ${entries.join('\n       ')}\n\nSettings come from the environment (see the README's configuration table).\n`;
}
