CREATE TABLE `insight_buckets` (
	`org_id` text NOT NULL,
	`mcp_server_id` text NOT NULL,
	`bucket_start` integer NOT NULL,
	`sessions` integer NOT NULL,
	`tool_calls` integer NOT NULL,
	`tool_errors` integer NOT NULL,
	`searches` integer NOT NULL,
	`failed_searches` integer NOT NULL,
	`frustration_sum` real NOT NULL,
	PRIMARY KEY(`org_id`, `mcp_server_id`, `bucket_start`)
);
--> statement-breakpoint
CREATE TABLE `insight_events` (
	`org_id` text NOT NULL,
	`id` text NOT NULL,
	`session_id` text NOT NULL,
	`mcp_server_id` text,
	`type` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`ingested_at` integer NOT NULL,
	`client_name` text,
	`client_version` text,
	`intent` text,
	`tool_name` text,
	`query` text,
	`result_count` integer,
	`is_error` integer DEFAULT false NOT NULL,
	`rating` text,
	`data` text NOT NULL,
	PRIMARY KEY(`org_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `insight_events_session_idx` ON `insight_events` (`org_id`,`session_id`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `insight_events_occurred_idx` ON `insight_events` (`occurred_at`);--> statement-breakpoint
CREATE TABLE `insight_search_clusters` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`mcp_server_id` text NOT NULL,
	`key` text NOT NULL,
	`query` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `insight_search_clusters_org_key_uq` ON `insight_search_clusters` (`org_id`,`mcp_server_id`,`key`);--> statement-breakpoint
CREATE TABLE `insight_search_misses` (
	`org_id` text NOT NULL,
	`cluster_id` text NOT NULL,
	`event_id` text NOT NULL,
	`session_id` text NOT NULL,
	`occurred_at` integer NOT NULL,
	PRIMARY KEY(`org_id`, `event_id`)
);
--> statement-breakpoint
CREATE INDEX `insight_search_misses_cluster_idx` ON `insight_search_misses` (`org_id`,`cluster_id`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `insight_sessions` (
	`org_id` text NOT NULL,
	`id` text NOT NULL,
	`mcp_server_id` text,
	`client_name` text,
	`client_version` text,
	`started_at` integer NOT NULL,
	`last_event_at` integer NOT NULL,
	`events` integer NOT NULL,
	`tool_calls` integer NOT NULL,
	`tool_errors` integer NOT NULL,
	`searches` integer NOT NULL,
	`failed_searches` integer NOT NULL,
	`negative_feedback` integer NOT NULL,
	`frustration` real NOT NULL,
	`summary` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`org_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `insight_sessions_org_started_idx` ON `insight_sessions` (`org_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `insight_tool_days` (
	`org_id` text NOT NULL,
	`mcp_server_id` text NOT NULL,
	`tool_name` text NOT NULL,
	`day` integer NOT NULL,
	`offered` integer NOT NULL,
	`calls` integer NOT NULL,
	`errors` integer NOT NULL,
	PRIMARY KEY(`org_id`, `mcp_server_id`, `tool_name`, `day`)
);
--> statement-breakpoint
CREATE TABLE `insight_topic_sessions` (
	`org_id` text NOT NULL,
	`topic_id` text NOT NULL,
	`session_id` text NOT NULL,
	`started_at` integer NOT NULL,
	`frustration` real NOT NULL,
	PRIMARY KEY(`topic_id`, `session_id`)
);
--> statement-breakpoint
CREATE INDEX `insight_topic_sessions_org_idx` ON `insight_topic_sessions` (`org_id`,`topic_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `insight_topics` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`key` text NOT NULL,
	`label` text NOT NULL,
	`is_unmet_demand` integer DEFAULT false NOT NULL,
	`archived` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `insight_topics_org_key_uq` ON `insight_topics` (`org_id`,`key`);