-- CreateIndex
CREATE INDEX "ingested_events_type_occurred_at_idx" ON "ingested_events"("type", "occurred_at");
