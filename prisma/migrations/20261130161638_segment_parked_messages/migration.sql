-- CreateTable
CREATE TABLE "segment_parked_messages" (
    "message_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "message" JSONB NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "segment_parked_messages_pkey" PRIMARY KEY ("message_id")
);

-- CreateIndex
CREATE INDEX "segment_parked_messages_user_id_idx" ON "segment_parked_messages"("user_id");
