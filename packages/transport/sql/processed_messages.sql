-- The table `once` of @backstop/transport writes to: one row per (queue, event) a service
-- has handled, committed with the handler's effect. Run it once against the service's own
-- database, or add the CreateProcessedMessages1700000000000 migration the package exports.
--
-- handler:      the service's queue (BackstopTransport's `queue` option)
-- message_id:   the event's id (the envelope's `id`)
-- processed_at: when it was handled; delete old rows by it (the index) once redeliveries
--               of them can no longer come, e.g. after a week.
CREATE TABLE IF NOT EXISTS "processed_messages" ("handler" text NOT NULL, "message_id" uuid NOT NULL, "processed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_9f042159a7d626ae3e83ff4cdaa" PRIMARY KEY ("handler", "message_id"));
CREATE INDEX IF NOT EXISTS "processed_messages_processed_at" ON "processed_messages" ("processed_at");
