-- AlterTable
ALTER TABLE "email_outbox" ADD COLUMN     "last_attempt_at" TIMESTAMP(3),
ADD COLUMN     "reply_pending_at" TIMESTAMP(3),
ADD COLUMN     "resends" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "uncertain_at" TIMESTAMP(3);
