/**
 * The `type` of every permanent failure an activity reports, in one vocabulary that activities,
 * the mail and webhook code, and the play workflow (sandbox-safe: plain constants) share, so a
 * failure is told apart by its type and never by its message.
 */
/** The relay refused the message for good (5xx, or bad credentials). */
export const PERMANENT_EMAIL_FAILURE = 'PermanentEmailFailure';
/** The webhook target answered 4xx: retrying the same request cannot help. */
export const PERMANENT_WEBHOOK_FAILURE = 'PermanentWebhookFailure';
