CREATE TABLE `insight_pending_rollups` (
	`org_id` text NOT NULL,
	`session_id` text NOT NULL,
	`queued_at` integer NOT NULL,
	PRIMARY KEY(`org_id`, `session_id`)
);
--> statement-breakpoint
CREATE INDEX `insight_pending_rollups_queued_idx` ON `insight_pending_rollups` (`queued_at`);