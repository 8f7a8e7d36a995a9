DROP INDEX `insight_search_misses_cluster_idx`;--> statement-breakpoint
CREATE INDEX `insight_search_misses_cluster_session_idx` ON `insight_search_misses` (`org_id`,`cluster_id`,`occurred_at`,`session_id`);--> statement-breakpoint
CREATE INDEX `insight_search_misses_occurred_idx` ON `insight_search_misses` (`org_id`,`occurred_at`,`cluster_id`,`session_id`);--> statement-breakpoint
CREATE INDEX `insight_search_misses_session_idx` ON `insight_search_misses` (`org_id`,`session_id`,`cluster_id`);--> statement-breakpoint
CREATE INDEX `insight_topic_sessions_started_idx` ON `insight_topic_sessions` (`org_id`,`started_at`,`topic_id`,`frustration`);