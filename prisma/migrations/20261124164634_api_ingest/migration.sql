-- CreateTable
CREATE TABLE "ingested_events" (
    "id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "source" TEXT NOT NULL DEFAULT 'api',
    "payload" JSONB NOT NULL,
    "occurred_at" TIMESTAMP(3) NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMP(3),

    CONSTRAINT "ingested_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "arr_movements" (
    "id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "occurred_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "arr_movements_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "survey_responses" (
    "id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "survey" TEXT NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "respondent" TEXT,
    "comment" TEXT,
    "occurred_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "survey_responses_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "scopes" TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMP(3),
    "last_used_at" TIMESTAMP(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ingested_events_idempotency_key_key" ON "ingested_events"("idempotency_key");

-- CreateIndex
CREATE INDEX "ingested_events_customer_id_occurred_at_idx" ON "ingested_events"("customer_id", "occurred_at");

-- CreateIndex
CREATE INDEX "ingested_events_delivered_at_idx" ON "ingested_events"("delivered_at");

-- CreateIndex
CREATE UNIQUE INDEX "arr_movements_idempotency_key_key" ON "arr_movements"("idempotency_key");

-- CreateIndex
CREATE INDEX "arr_movements_occurred_at_idx" ON "arr_movements"("occurred_at");

-- CreateIndex
CREATE UNIQUE INDEX "survey_responses_idempotency_key_key" ON "survey_responses"("idempotency_key");

-- CreateIndex
CREATE INDEX "survey_responses_survey_occurred_at_idx" ON "survey_responses"("survey", "occurred_at");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_name_key" ON "api_keys"("name");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");

-- AddForeignKey
ALTER TABLE "ingested_events" ADD CONSTRAINT "ingested_events_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "arr_movements" ADD CONSTRAINT "arr_movements_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "survey_responses" ADD CONSTRAINT "survey_responses_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
