ALTER TABLE "calls" ADD COLUMN "owner" text;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "heartbeat_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "calls_live_heartbeat_idx" ON "calls" USING btree ("heartbeat_at") WHERE "calls"."owner" is not null and "calls"."status" <> 'ended';--> statement-breakpoint
-- Calls left in progress before leases existed have no owner to vouch for them: a process that is
-- gone, or (during a rolling upgrade) an older one still running them. They get an hour's grace
-- before a sweep ends them as lost, which outlasts the calls of an older process.
UPDATE "calls" SET "owner" = 'before-leases', "heartbeat_at" = now() + interval '1 hour' WHERE "status" = 'in-progress';
