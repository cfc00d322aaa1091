ALTER TABLE "calls" ADD COLUMN "owner" text;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "heartbeat_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "calls_live_heartbeat_idx" ON "calls" USING btree ("heartbeat_at") WHERE "calls"."owner" is not null;--> statement-breakpoint
-- Calls left in progress before leases existed were running in a process that is gone: give them
-- a stale heartbeat so the first sweep ends them as lost.
UPDATE "calls" SET "owner" = 'before-leases', "heartbeat_at" = "updated_at" WHERE "status" = 'in-progress';
