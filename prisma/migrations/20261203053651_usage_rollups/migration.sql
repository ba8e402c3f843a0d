-- AlterTable
ALTER TABLE "ingested_events" ADD COLUMN     "rollup_id" TEXT,
ADD COLUMN     "via_rollup" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "ingested_events_rollup_id_idx" ON "ingested_events"("rollup_id");
