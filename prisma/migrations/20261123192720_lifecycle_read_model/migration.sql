-- AlterTable
ALTER TABLE "customers" ADD COLUMN     "arr" DECIMAL(14,2) NOT NULL DEFAULT 0,
ADD COLUMN     "contract_end" TIMESTAMP(3),
ADD COLUMN     "contract_start" TIMESTAMP(3),
ADD COLUMN     "contract_status" TEXT NOT NULL DEFAULT 'active',
ADD COLUMN     "csm_owner" TEXT,
ADD COLUMN     "health_band" TEXT,
ADD COLUMN     "health_score" DOUBLE PRECISION,
ADD COLUMN     "segment" TEXT,
ADD COLUMN     "stage" TEXT NOT NULL DEFAULT 'onboarding',
ADD COLUMN     "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- AlterTable
ALTER TABLE "timeline_entries" ADD COLUMN     "cause_id" TEXT,
ADD COLUMN     "cause_type" TEXT,
ADD COLUMN     "definition_version" TEXT,
ADD COLUMN     "summary" TEXT NOT NULL DEFAULT '';

-- CreateTable
CREATE TABLE "stage_transitions" (
    "id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "from_stage" TEXT NOT NULL,
    "to_stage" TEXT NOT NULL,
    "cause_type" TEXT NOT NULL,
    "cause_id" TEXT,
    "reason" TEXT NOT NULL,
    "definition_version" TEXT NOT NULL,
    "occurred_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "stage_transitions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "health_snapshots" (
    "id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "score" DOUBLE PRECISION,
    "band" TEXT,
    "trend" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "contributions" JSONB NOT NULL,
    "missing" TEXT[],
    "definition_version" TEXT NOT NULL,
    "computed_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "health_snapshots_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "stage_transitions_idempotency_key_key" ON "stage_transitions"("idempotency_key");

-- CreateIndex
CREATE INDEX "stage_transitions_customer_id_occurred_at_idx" ON "stage_transitions"("customer_id", "occurred_at");

-- CreateIndex
CREATE UNIQUE INDEX "health_snapshots_idempotency_key_key" ON "health_snapshots"("idempotency_key");

-- CreateIndex
CREATE INDEX "health_snapshots_customer_id_computed_at_idx" ON "health_snapshots"("customer_id", "computed_at");

-- CreateIndex
CREATE INDEX "customers_stage_health_band_idx" ON "customers"("stage", "health_band");

-- CreateIndex
CREATE INDEX "customers_csm_owner_idx" ON "customers"("csm_owner");

-- AddForeignKey
ALTER TABLE "stage_transitions" ADD CONSTRAINT "stage_transitions_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "health_snapshots" ADD CONSTRAINT "health_snapshots_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
