ALTER TABLE `run_evaluations` ADD `baseline_run_id` text;--> statement-breakpoint
ALTER TABLE `run_tool_calls` ADD `policy_refused` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `mcp_protocol_version` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `mcp_protocol_era` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `skill_digest` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `attempt` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `retry_of_run_id` text;--> statement-breakpoint
-- A run must fit one queue consumer invocation: timeouts are bounded to 840 s (docs/run-engine.md).
UPDATE `runs` SET `timeout_seconds` = 840 WHERE `timeout_seconds` > 840;
