-- CreateTable
CREATE TABLE "segment_identities" (
    "user_id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "segment_identities_pkey" PRIMARY KEY ("user_id")
);
