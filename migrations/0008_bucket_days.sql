CREATE TABLE `insight_bucket_days` (
	`org_id` text NOT NULL,
	`day` integer NOT NULL,
	`sessions` integer NOT NULL,
	`tool_calls` integer NOT NULL,
	`tool_errors` integer NOT NULL,
	`searches` integer NOT NULL,
	`failed_searches` integer NOT NULL,
	`frustration_sum` real NOT NULL,
	PRIMARY KEY(`org_id`, `day`)
);
--> statement-breakpoint
CREATE INDEX `insight_tool_days_day_idx` ON `insight_tool_days` (`org_id`,`day`,`mcp_server_id`,`tool_name`,`offered`,`calls`);
--> statement-breakpoint
-- Backfill: each day's sums from its hourly buckets (all sources), which hold the same sums per hour.
INSERT INTO `insight_bucket_days` (`org_id`, `day`, `sessions`, `tool_calls`, `tool_errors`, `searches`, `failed_searches`, `frustration_sum`)
SELECT `org_id`, `bucket_start` - `bucket_start` % 86400000 AS `d`, sum(`sessions`), sum(`tool_calls`), sum(`tool_errors`), sum(`searches`),
  sum(`failed_searches`), round(sum(`frustration_sum`), 3)
FROM `insight_buckets` WHERE true GROUP BY `org_id`, `d`;
