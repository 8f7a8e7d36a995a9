CREATE TABLE `insight_session_tools` (
	`org_id` text NOT NULL,
	`session_id` text NOT NULL,
	`mcp_server_id` text NOT NULL,
	`tool_name` text NOT NULL,
	`day` integer NOT NULL,
	`offered` integer NOT NULL,
	`calls` integer NOT NULL,
	`errors` integer NOT NULL,
	PRIMARY KEY(`org_id`, `session_id`, `mcp_server_id`, `tool_name`, `day`)
);
--> statement-breakpoint
CREATE INDEX `insight_session_tools_day_idx` ON `insight_session_tools` (`org_id`,`day`,`tool_name`);--> statement-breakpoint
-- Backfill: each session's share of the tool days from the raw events still kept (docs/insights.md, "Tool days").
INSERT INTO `insight_session_tools` (`org_id`, `session_id`, `mcp_server_id`, `tool_name`, `day`, `offered`, `calls`, `errors`)
SELECT `org_id`, `session_id`, `src`, `tool`, `day`, sum(`offered`), sum(`calls`), sum(`errors`) FROM (
  SELECT `org_id`, `session_id`, coalesce(`mcp_server_id`, '') AS `src`, `tool_name` AS `tool`, (`occurred_at` / 86400000) * 86400000 AS `day`,
    0 AS `offered`, 1 AS `calls`, `is_error` AS `errors`
  FROM `insight_events` WHERE `type` = 'tool_call' AND `tool_name` IS NOT NULL
  UNION ALL
  SELECT `org_id`, `session_id`, `src`, `tool`, `day`, 1, 0, 0 FROM (
    SELECT DISTINCT e.`org_id`, e.`session_id`, e.`id`, coalesce(e.`mcp_server_id`, '') AS `src`, j.value AS `tool`,
      (e.`occurred_at` / 86400000) * 86400000 AS `day`
    FROM `insight_events` e, json_each(e.`data`, '$.toolNames') j
    WHERE e.`type` = 'tools_list' AND j.type = 'text' AND j.value <> ''
  )
) GROUP BY `org_id`, `session_id`, `src`, `tool`, `day`;
