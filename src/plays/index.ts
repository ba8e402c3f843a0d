/**
 * Plays (playbooks): what defines, decides and runs one, in one folder. Everything here is pure and
 * sandbox-safe (zod and the rules in src/domain/ only; time is passed in), so the workflows import
 * it and table-driven tests run it without a server.
 *
 * How a play runs, end to end:
 *
 * 1. Defined (`definition.ts`, the built-in ones in `default-plays.ts`): a trigger, optional stage
 *    and guard filters, steps (email, task, webhook, handoff, wait, escalate), an optional goal with
 *    a deadline, an escalation, caps. Validated with the lifecycle definition when the worker starts.
 * 2. Decided, in the customer's workflow after each evaluation (`runs.ts`, called through
 *    `planPlays` in src/domain/lifecycle-state.ts, which appends the timeline entries it returns):
 *    the evaluation's occurrences fire triggers on their edges (`triggers.ts`), the caps allow or
 *    skip (a skip is written to the timeline with why), and each start gets a run id and a snapshot
 *    of the customer (`customer-context.ts`).
 * 3. Started as a child workflow, workflows/play-run.ts, with the play as it is defined now: editing
 *    a play changes new runs only.
 * 4. Fed: each later evaluation tells running plays what they listen for (a milestone, an event, the
 *    band, their goal reached) by signal (`observations.ts`).
 * 5. Run: the play-run workflow walks the steps. What it decides between Temporal commands — how a
 *    timed-out wait ends, how long the goal may still take, what an escalation runs, each side
 *    effect's idempotency key — is in `interpreter.ts`; every word it writes (filled templates, the
 *    escalation, handoff and summary texts, progress lines) in `wording.ts`; when customer-facing
 *    email may go out in `quiet-hours.ts`. Side effects are activities (activities/plays.ts).
 * 6. Ended: the run reports its outcome to its customer's workflow (`playFinished`), which records
 *    it (`endPlayRun` in `runs.ts`, through `finishPlayRun`) and frees the play's slot.
 *
 * Dependencies go one way: src/plays uses src/domain's rules and types (src/domain/timeline.ts for
 * causes and entries); src/domain/lifecycle-state.ts uses src/plays, which never imports it.
 */
export * from './definition';
export * from './default-plays';
export * from './state';
export * from './triggers';
export * from './observations';
export * from './customer-context';
export * from './runs';
export * from './interpreter';
export * from './wording';
export * from './quiet-hours';
