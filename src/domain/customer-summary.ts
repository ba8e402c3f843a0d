/**
 * The markdown a CS lead reads in the Temporal UI's "current details" for a customer: stage and
 * SLA, ARR as money, health with its reasons in words, what is left to leave the stage and the next
 * timers — at most about a dozen lines. Every line and list is separated from the next by a blank
 * line, or the UI's markdown runs them together (checked in the Temporal UI 2.42). Sandbox-safe.
 */
import type { CustomerView } from './customer-view';
import { healthReasons } from './health-reasons';

/** Open exit criteria shown (the rest counted) and timers shown: the details stay within about 12 lines. */
const MAX_EXIT_ITEMS = 3;
const MAX_TIMERS = 2;

/** ARR as money ("$60,000"); the engine keeps no currency, so the dollar is the display convention. */
// Built once: a formatter costs more to make than to use, and the details are drawn on every wake-up.
const MONEY = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });
export function formatMoney(amount: number): string {
  return MONEY.format(amount);
}

const SLA_WORDS: Record<string, string> = { on_track: 'on track', behind: 'behind', stuck: 'stuck' };
const TREND_WORDS: Record<string, string> = { up: 'rising', down: 'falling', flat: 'steady' };

/** A list that keeps to `max` items, the rest counted in a last line. */
function list(items: string[], max: number, countRest = true): string[] {
  const shown = items.slice(0, max).map((item) => `- ${item}`);
  return countRest && items.length > max ? [...shown, `- … and ${items.length - max} more`] : shown;
}

/** The details for the customer as `view` shows it (its `asOf` is the moment described). */
export function customerDetailsMarkdown(view: CustomerView, customerPageUrl?: string): string {
  const { customer: facts, health } = view;
  const inStage = view.daysInStage;
  // Blank lines between the lines: the UI's markdown joins lines that a single newline separates.
  const lines = [
    customerPageUrl ? `### [${facts.name}](${customerPageUrl})` : `### ${facts.name}`,
    '',
    `**${view.stage}** for ${inStage} day${inStage === 1 ? '' : 's'} (since ${view.stageEnteredAt.slice(0, 10)}, ${SLA_WORDS[view.sla] ?? view.sla}) · ` +
      `${facts.segment} · CSM ${facts.csmOwner}`,
    '',
    `**ARR** ${formatMoney(facts.arr)} · renewal ${facts.contractEnd.slice(0, 10)}${facts.contractStatus === 'churned' ? ' · **churned**' : ''}`,
  ];
  lines.push('');
  if (health?.score != null) {
    const reasons = healthReasons(health, { payment: facts.payment }).map((r) => r.text);
    lines.push(
      `**Health** ${health.score} ${health.band ?? ''}, ${TREND_WORDS[health.trend] ?? health.trend}` + (reasons.length ? `: ${reasons.join('; ')}` : ''),
    );
  } else {
    lines.push('**Health** no data yet');
  }
  const required = view.exit.required;
  if (required.length) {
    // A time-relative criterion reached too late is shown as late, not as merely open.
    const open = required.filter((a) => !a.met).map((a) => (a.late ? `⏰ ${a.label} (late)` : `⬜ ${a.label}`));
    const head = `**To leave ${view.stage}:** ${required.length - open.length} of ${required.length} done`;
    lines.push('', open.length ? `${head}, still open:` : `${head}.`);
    if (open.length) lines.push('', ...list(open, MAX_EXIT_ITEMS));
  }
  const nextTimers = view.upcomingTimers;
  if (nextTimers.length) {
    lines.push(
      '',
      '**Next timers:**',
      '',
      ...list(
        nextTimers.map((t) => `${t.at.slice(0, 10)} ${t.label}`),
        MAX_TIMERS,
        false,
      ),
    );
  }
  return lines.join('\n');
}
