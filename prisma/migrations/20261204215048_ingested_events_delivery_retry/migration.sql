-- AlterTable
ALTER TABLE "ingested_events" ADD COLUMN     "delivery_retry_at" TIMESTAMP(3);
