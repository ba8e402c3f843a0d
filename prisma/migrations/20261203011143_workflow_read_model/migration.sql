-- DropIndex
DROP INDEX "ingested_events_idempotency_key_key";

-- DropIndex
DROP INDEX "arr_movements_idempotency_key_key";

-- DropIndex
DROP INDEX "survey_responses_idempotency_key_key";

-- CreateTable
CREATE TABLE "applied_events" (
    "customer_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "applied_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "applied_events_pkey" PRIMARY KEY ("customer_id","event_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ingested_events_customer_id_idempotency_key_key" ON "ingested_events"("customer_id", "idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "arr_movements_customer_id_idempotency_key_key" ON "arr_movements"("customer_id", "idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "survey_responses_customer_id_idempotency_key_key" ON "survey_responses"("customer_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "segment_parked_messages_received_at_idx" ON "segment_parked_messages"("received_at");

-- AddForeignKey
ALTER TABLE "applied_events" ADD CONSTRAINT "applied_events_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Events accepted before this migration had their read-model rows written by the API when it
-- recorded them: marked applied, so the workflow never writes them a second time.
INSERT INTO "applied_events" ("customer_id", "event_id")
SELECT "customer_id", "idempotency_key" FROM "ingested_events" WHERE "type" IN ('survey', 'stakeholder', 'contract')
ON CONFLICT DO NOTHING;
