CREATE TABLE `insight_cluster_days` (
	`org_id` text NOT NULL,
	`cluster_id` text NOT NULL,
	`day` integer NOT NULL,
	`misses` integer NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	PRIMARY KEY(`org_id`, `day`, `cluster_id`)
);
--> statement-breakpoint
CREATE TABLE `insight_session_days` (
	`org_id` text NOT NULL,
	`day` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`org_id`, `day`)
);
--> statement-breakpoint
CREATE TABLE `insight_topic_days` (
	`org_id` text NOT NULL,
	`topic_id` text NOT NULL,
	`day` integer NOT NULL,
	`sessions` integer NOT NULL,
	`frustration_sum` real NOT NULL,
	PRIMARY KEY(`org_id`, `day`, `topic_id`)
);
--> statement-breakpoint
-- Backfill: the topic days from the topic links, the session days from the sessions, the cluster days from the misses (docs/insights.md, "What is derived").
INSERT INTO `insight_topic_days` (`org_id`, `topic_id`, `day`, `sessions`, `frustration_sum`)
SELECT `org_id`, `topic_id`, (`started_at` / 86400000) * 86400000, count(*), sum(`frustration`)
FROM `insight_topic_sessions` GROUP BY `org_id`, `topic_id`, (`started_at` / 86400000) * 86400000;
--> statement-breakpoint
INSERT INTO `insight_session_days` (`org_id`, `day`, `updated_at`)
SELECT `org_id`, (`started_at` / 86400000) * 86400000, max(`updated_at`)
FROM `insight_sessions` GROUP BY `org_id`, (`started_at` / 86400000) * 86400000;
--> statement-breakpoint
INSERT INTO `insight_cluster_days` (`org_id`, `cluster_id`, `day`, `misses`, `first_seen`, `last_seen`)
SELECT `org_id`, `cluster_id`, (`occurred_at` / 86400000) * 86400000, count(*), min(`occurred_at`), max(`occurred_at`)
FROM `insight_search_misses` GROUP BY `org_id`, `cluster_id`, (`occurred_at` / 86400000) * 86400000;
