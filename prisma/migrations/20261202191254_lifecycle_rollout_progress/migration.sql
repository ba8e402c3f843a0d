-- AlterTable
ALTER TABLE "lifecycle_rollouts" ADD COLUMN     "done" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "progress_at" TIMESTAMP(3);
