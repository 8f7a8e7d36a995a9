CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`secret_hash` text NOT NULL,
	`hash_version` integer NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`last_used_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `api_keys_org_idx` ON `api_keys` (`org_id`);--> statement-breakpoint
CREATE TABLE `dispatch_idempotency` (
	`org_id` text NOT NULL,
	`key` text NOT NULL,
	`workflow_id` text NOT NULL,
	`request_hash` text NOT NULL,
	`run_ids` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`org_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `dispatch_idempotency_created_idx` ON `dispatch_idempotency` (`created_at`);--> statement-breakpoint
CREATE TABLE `mcp_auth_profiles` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`mcp_server_id` text NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`header_name` text,
	`secret_ciphertext` text NOT NULL,
	`secret_hint` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`mcp_server_id`) REFERENCES `mcp_servers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `mcp_auth_profiles_server_idx` ON `mcp_auth_profiles` (`mcp_server_id`);--> statement-breakpoint
CREATE TABLE `mcp_servers` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`url` text NOT NULL,
	`transport` text NOT NULL,
	`description` text,
	`default_auth_profile_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `mcp_servers_org_created_idx` ON `mcp_servers` (`org_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `mcp_servers_org_name_uq` ON `mcp_servers` (`org_id`,`name`);--> statement-breakpoint
CREATE TABLE `organizations` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`features` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organizations_slug_unique` ON `organizations` (`slug`);--> statement-breakpoint
CREATE TABLE `run_evaluations` (
	`run_id` text PRIMARY KEY NOT NULL,
	`verdict` text NOT NULL,
	`judge_model_id` text NOT NULL,
	`summary` text,
	`criteria` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `run_tool_calls` (
	`id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`seq` integer NOT NULL,
	`tool_name` text NOT NULL,
	`arguments` text,
	`result` text,
	`is_error` integer DEFAULT false NOT NULL,
	`duration_ms` integer NOT NULL,
	`started_at` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `run_tool_calls_run_seq_uq` ON `run_tool_calls` (`run_id`,`seq`);--> statement-breakpoint
CREATE TABLE `run_traces` (
	`run_id` text PRIMARY KEY NOT NULL,
	`spans` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`workflow_id` text NOT NULL,
	`workflow_version_id` text NOT NULL,
	`workflow_version` integer NOT NULL,
	`workflow_name` text NOT NULL,
	`status` text NOT NULL,
	`classification` text,
	`trigger` text NOT NULL,
	`reason` text,
	`model_id` text NOT NULL,
	`skill_mode` text DEFAULT 'none' NOT NULL,
	`skill_version_id` text,
	`baseline_run_id` text,
	`active_fingerprint` text,
	`schedule_due_at` integer,
	`queue_attempts` integer DEFAULT 0 NOT NULL,
	`timeout_seconds` integer NOT NULL,
	`created_at` integer NOT NULL,
	`enqueued_at` integer,
	`started_at` integer,
	`finished_at` integer,
	`duration_ms` integer,
	`evaluator_output` text,
	`cost_usd` real,
	`input_tokens` integer,
	`output_tokens` integer,
	`error` text,
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `runs_org_created_idx` ON `runs` (`org_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_org_workflow_created_idx` ON `runs` (`org_id`,`workflow_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_org_status_created_idx` ON `runs` (`org_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_org_classification_created_idx` ON `runs` (`org_id`,`classification`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_org_duration_idx` ON `runs` (`org_id`,`duration_ms`);--> statement-breakpoint
CREATE INDEX `runs_org_cost_idx` ON `runs` (`org_id`,`cost_usd`);--> statement-breakpoint
CREATE UNIQUE INDEX `runs_active_fingerprint_uq` ON `runs` (`org_id`,`active_fingerprint`) WHERE active_fingerprint IS NOT NULL;--> statement-breakpoint
CREATE INDEX `runs_status_enqueued_idx` ON `runs` (`status`,`enqueued_at`);--> statement-breakpoint
CREATE INDEX `runs_status_started_idx` ON `runs` (`status`,`started_at`);--> statement-breakpoint
CREATE INDEX `runs_workflow_idx` ON `runs` (`workflow_id`);--> statement-breakpoint
CREATE TABLE `schedule_ticks` (
	`workflow_id` text NOT NULL,
	`due_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`workflow_id`, `due_at`)
);
--> statement-breakpoint
CREATE TABLE `workflow_versions` (
	`id` text PRIMARY KEY NOT NULL,
	`workflow_id` text NOT NULL,
	`org_id` text NOT NULL,
	`version` integer NOT NULL,
	`config` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`workflow_id`) REFERENCES `workflows`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `workflow_versions_workflow_version_uq` ON `workflow_versions` (`workflow_id`,`version`);--> statement-breakpoint
CREATE TABLE `workflows` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`category_slug` text,
	`current_version_id` text NOT NULL,
	`current_version_number` integer NOT NULL,
	`schedule_cron` text,
	`schedule_timezone` text,
	`schedule_enabled` integer DEFAULT false NOT NULL,
	`next_due_at` integer,
	`archived_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `workflows_org_active_idx` ON `workflows` (`org_id`,`archived_at`,`created_at`);--> statement-breakpoint
CREATE INDEX `workflows_due_idx` ON `workflows` (`next_due_at`);