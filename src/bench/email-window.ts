/**
 * Email uncertainty benchmark (a script, not a test: it measures, it asserts nothing about speed).
 * For a relay that answers the end of DATA at once and one that takes 2 s, it sends play emails
 * through the real outbox activity (embedded PGlite in memory, in-process SMTP sink) and prints:
 *   - the uncertain window: from the moment the relay has the whole message to the moment the
 *     outbox row is marked sent. A worker dying in it leaves the message at the relay and the row
 *     unsent, so the retry sends it again; its length is the relay's answer time plus a little;
 *   - whether the row already recorded the pending answer (`reply_pending_at`) when the relay had
 *     the message, i.e. whether that retry knows to mark its copy as a resend;
 *   - what one send costs end to end.
 *
 *   npm run bench:email-window                       # defaults: 30 sends at 0 ms, 5 at 2,000 ms
 *   npm run bench:email-window -- --delays=0,500,2000 --samples=10
 *
 * It runs unchanged on code without `reply_pending_at` (reported as "not recorded"), which is how
 * the before/after figures in RESULTS.md were taken.
 */
import { performance } from 'node:perf_hooks';
import { createPlayActivities } from '../../activities/plays';
import { openDatabase } from '../db/database';
import { ZMailConfig } from '../mail/mail-config';
import { startSmtpSink } from '../mail/smtp-sink';
import { createMailer } from '../mail/transport';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const DELAYS_MS = (args.get('delays') ?? '0,2000').split(',').map(Number);
const SAMPLES = args.get('samples') ? Number(args.get('samples')) : undefined;
const samplesFor = (delayMs: number) => SAMPLES ?? (delayMs >= 1000 ? 5 : 30);

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sample {
  relayHadItAt: number;
  relayAnsweredAt: number;
  markedAt: number;
  startedAt: number;
  /** When the row said an answer was pending, as seen while the relay held the message; null: not recorded. */
  replyPendingAt: number | null;
}

async function main(): Promise<void> {
  const database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
  const { prisma } = database;
  let current: { key: string; delayMs: number; sample: Partial<Sample> } | undefined;
  const sink = await startSmtpSink({
    beforeReply: async () => {
      if (!current) return;
      const { key, delayMs, sample } = current;
      sample.relayHadItAt = now();
      // Read the row while the relay holds the message, alongside (not before) the answer's delay.
      const [row] = await Promise.all([prisma.emailOutbox.findUniqueOrThrow({ where: { idempotencyKey: key } }), sleep(delayMs)]);
      const pending = (row as { replyPendingAt?: Date | null }).replyPendingAt;
      sample.replyPendingAt = pending ? pending.getTime() : null;
      sample.relayAnsweredAt = now();
    },
  });
  const mailer = createMailer({ ...ZMailConfig.parse({ SMTP_URL: sink.url }), SMTP_URL: sink.url });
  const { sendPlayEmail } = createPlayActivities({ prisma, mailer, webhookTargets: {} });
  await prisma.customer.create({ data: { id: 'bench-email', name: 'Bench Email' } });

  const rows: string[] = [];
  let n = 0;
  for (const delayMs of DELAYS_MS) {
    const samples: Sample[] = [];
    // One unmeasured send first: connection set-up and JIT warm-up are not the window.
    for (let i = -1; i < samplesFor(delayMs); i++) {
      const key = `bench-email:${delayMs}:${n++}`;
      const sample: Partial<Sample> = { startedAt: now() };
      current = { key, delayMs, sample };
      await sendPlayEmail({
        idempotencyKey: key,
        runId: 'bench-run',
        customerId: 'bench-email',
        stepId: 'email',
        to: 'priya@acme.example',
        recipientRole: 'champion',
        subject: `Bench ${key}`,
        text: 'Hello',
        plannedAt: new Date().toISOString(),
      });
      sample.markedAt = now();
      if (i >= 0) samples.push(sample as Sample);
    }
    const window = samples.map((s) => s.markedAt - s.relayHadItAt);
    const answer = samples.map((s) => s.relayAnsweredAt - s.relayHadItAt);
    const afterAnswer = samples.map((s) => s.markedAt - s.relayAnsweredAt);
    const total = samples.map((s) => s.markedAt - s.startedAt);
    // Date resolution is 1 ms, so "recorded before the relay had it" allows that millisecond.
    const recorded = samples.filter((s) => s.replyPendingAt !== null && s.replyPendingAt <= Math.ceil(s.relayHadItAt)).length;
    rows.push(
      `| ${delayMs} ms | ${samples.length} | ${stats(window)} | ${stats(answer)} | ${stats(afterAnswer)} | ${recorded === 0 ? 'not recorded' : `${recorded}/${samples.length}`} | ${stats(total)} |`,
    );
  }

  console.log(
    '| relay delay | sends | uncertain window (relay has it → row sent) | relay answer time | answer → row sent | pending answer recorded before the relay had it | one send, end to end |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  mailer.close();
  await sink.stop();
  await database.close();
}

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return `median ${format(median)}, max ${format(sorted[sorted.length - 1]!)}`;
}

function format(ms: number): string {
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
