-- CreateTable
CREATE TABLE "lifecycle_definition_versions" (
    "version" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "content" JSONB NOT NULL,
    "sha256" TEXT NOT NULL,
    "published_by" TEXT NOT NULL,
    "note" TEXT,
    "published_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "current_since" TIMESTAMP(3),

    CONSTRAINT "lifecycle_definition_versions_pkey" PRIMARY KEY ("version")
);

-- CreateTable
CREATE TABLE "lifecycle_rollouts" (
    "id" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "query" TEXT,
    "percent" INTEGER NOT NULL,
    "started_by" TEXT NOT NULL,
    "started_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMP(3),
    "selected" INTEGER NOT NULL DEFAULT 0,
    "adopted" INTEGER NOT NULL DEFAULT 0,
    "already_on" INTEGER NOT NULL DEFAULT 0,
    "unreachable" INTEGER NOT NULL DEFAULT 0,
    "refused" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "lifecycle_rollouts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "lifecycle_definition_versions_current_since_idx" ON "lifecycle_definition_versions"("current_since");

-- CreateIndex
CREATE INDEX "lifecycle_rollouts_started_at_idx" ON "lifecycle_rollouts"("started_at");
