-- name: list_connector_definitions
-- Every connector definition, by id.
SELECT * FROM syncplane.idm_connector_definitions ORDER BY id;

-- name: get_connector_definition
-- One connector definition.
SELECT * FROM syncplane.idm_connector_definitions WHERE id = $1;

-- name: insert_connected_system
-- Creates a connected system; returns its id.
INSERT INTO syncplane.idm_connected_systems (name, description, connector_definition_id, settings, credential_id)
VALUES ($1, $2, $3, $4, $5)
RETURNING id;

-- name: get_connected_system
-- One connected system with its connector definition's name and capabilities.
SELECT cs.*, d.name AS connector_name, d.connector, d.runnable, d.unavailable_reason,
       d.supports_full_import, d.supports_delta_import, d.supports_export,
       d.supports_partitions, d.supports_file_paths, d.settings AS setting_definitions
FROM syncplane.idm_connected_systems cs
JOIN syncplane.idm_connector_definitions d ON d.id = cs.connector_definition_id
WHERE cs.id = $1;

-- name: get_connected_system_for_update
-- One connected system, locked.
SELECT * FROM syncplane.idm_connected_systems WHERE id = $1 FOR UPDATE;

-- name: connected_system_id_by_name
-- The id of the connected system with this name (case-insensitive).
SELECT id FROM syncplane.idm_connected_systems WHERE lower(name) = lower($1);

-- name: list_connected_systems
-- A page of connected-system headers with the total; $1 search text, $2 sort key, $3 direction.
SELECT cs.id, cs.name, cs.description, cs.created_at, cs.status, cs.object_count,
       cs.pending_export_count, d.name AS connector_name, d.id AS connector_id,
       count(*) OVER () AS total_count
FROM syncplane.idm_connected_systems cs
JOIN syncplane.idm_connector_definitions d ON d.id = cs.connector_definition_id
WHERE $1::text IS NULL OR cs.name ILIKE '%' || $1 || '%' OR cs.description ILIKE '%' || $1 || '%'
ORDER BY
    CASE WHEN $2 = 'name' AND $3 = 'asc' THEN lower(cs.name) END ASC,
    CASE WHEN $2 = 'name' AND $3 = 'desc' THEN lower(cs.name) END DESC,
    CASE WHEN $2 = 'created' AND $3 = 'asc' THEN cs.created_at END ASC,
    CASE WHEN $2 = 'created' AND $3 = 'desc' THEN cs.created_at END DESC,
    CASE WHEN $2 = 'objectCount' AND $3 = 'asc' THEN cs.object_count END ASC,
    CASE WHEN $2 = 'objectCount' AND $3 = 'desc' THEN cs.object_count END DESC,
    CASE WHEN $3 = 'desc' THEN cs.id END DESC,
    cs.id ASC
LIMIT $4 OFFSET $5;

-- name: count_connected_systems
-- How many connected systems match a search (for a page past the end).
SELECT count(*) FROM syncplane.idm_connected_systems
WHERE $1::text IS NULL OR name ILIKE '%' || $1 || '%' OR description ILIKE '%' || $1 || '%';

-- name: update_connected_system
-- Writes a connected system's editable fields.
UPDATE syncplane.idm_connected_systems
SET name = $2, description = $3, settings = $4, status = $5, updated_at = now()
WHERE id = $1;

-- name: delete_connected_system
-- Deletes a connected system (partitions, run profiles and rules go with it).
DELETE FROM syncplane.idm_connected_systems WHERE id = $1 RETURNING credential_id;

-- name: save_schema
-- Stores what an ImportSchema run read.
UPDATE syncplane.idm_connected_systems
SET object_types = $2, containers = $3, schema_imported_at = now(), updated_at = now()
WHERE id = $1;

-- name: set_object_count
-- The connector-space object count a run reported.
UPDATE syncplane.idm_connected_systems SET object_count = $2 WHERE id = $1;

-- name: set_pending_exports
-- Pending export counts a run reported, for several systems at once.
UPDATE syncplane.idm_connected_systems cs SET pending_export_count = p.n
FROM unnest($1::int[], $2::int[]) AS p(id, n)
WHERE cs.id = p.id;

-- name: list_partitions
-- The partitions of a connected system.
SELECT * FROM syncplane.idm_partitions WHERE connected_system_id = $1 ORDER BY id;

-- name: get_partition
-- One partition of a connected system.
SELECT * FROM syncplane.idm_partitions WHERE connected_system_id = $1 AND id = $2;

-- name: upsert_partition
-- Adds a partition a schema import found (keeping the selection of a known one).
INSERT INTO syncplane.idm_partitions (connected_system_id, name, external_id)
VALUES ($1, $2, $3)
ON CONFLICT (connected_system_id, external_id) DO UPDATE SET name = EXCLUDED.name;

-- name: drop_partitions_except
-- Removes the partitions a schema import no longer found.
DELETE FROM syncplane.idm_partitions
WHERE connected_system_id = $1 AND NOT (external_id = ANY($2::text[]));

-- name: set_partition_selected
-- Selects or deselects a partition.
UPDATE syncplane.idm_partitions SET selected = $3
WHERE connected_system_id = $1 AND id = $2
RETURNING *;

-- name: list_run_profiles
-- The run profiles of a connected system, with their partition's name.
SELECT rp.*, p.name AS partition_name, p.selected AS partition_selected
FROM syncplane.idm_run_profiles rp
LEFT JOIN syncplane.idm_partitions p ON p.id = rp.partition_id
WHERE rp.connected_system_id = $1
ORDER BY rp.id;

-- name: get_run_profile
-- One run profile of a connected system, with its partition's name.
SELECT rp.*, p.name AS partition_name, p.selected AS partition_selected
FROM syncplane.idm_run_profiles rp
LEFT JOIN syncplane.idm_partitions p ON p.id = rp.partition_id
WHERE rp.connected_system_id = $1 AND rp.id = $2;

-- name: run_profile_id_by_name
-- The id of a connected system's run profile with this name (case-insensitive; the first).
SELECT id FROM syncplane.idm_run_profiles
WHERE connected_system_id = $1 AND lower(name) = lower($2)
ORDER BY id LIMIT 1;

-- name: insert_run_profile
-- Creates a run profile; returns its id.
INSERT INTO syncplane.idm_run_profiles (connected_system_id, name, run_type, page_size, partition_id, file_path)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id;

-- name: update_run_profile
-- Writes a run profile's editable fields.
UPDATE syncplane.idm_run_profiles
SET name = $3, page_size = $4, partition_id = $5, file_path = $6, updated_at = now()
WHERE connected_system_id = $1 AND id = $2;

-- name: delete_run_profile
-- Deletes a run profile.
DELETE FROM syncplane.idm_run_profiles WHERE connected_system_id = $1 AND id = $2 RETURNING id;

-- name: insert_sync_rule
-- Creates a synchronisation rule.
INSERT INTO syncplane.idm_sync_rules (connected_system_id, name, direction, enabled, precedence, rule)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: get_sync_rule
-- One synchronisation rule.
SELECT * FROM syncplane.idm_sync_rules WHERE id = $1;

-- name: list_sync_rules
-- A page of rules, optionally of one connected system, with the total.
SELECT *, count(*) OVER () AS total_count FROM syncplane.idm_sync_rules
WHERE $1::int IS NULL OR connected_system_id = $1
ORDER BY
    CASE WHEN $2 = 'name' AND $3 = 'asc' THEN lower(name) END ASC,
    CASE WHEN $2 = 'name' AND $3 = 'desc' THEN lower(name) END DESC,
    CASE WHEN $2 = 'precedence' AND $3 = 'asc' THEN precedence END ASC,
    CASE WHEN $2 = 'precedence' AND $3 = 'desc' THEN precedence END DESC,
    CASE WHEN $3 = 'desc' THEN id END DESC,
    id ASC
LIMIT $4 OFFSET $5;

-- name: count_sync_rules
-- How many rules match (for a page past the end).
SELECT count(*) FROM syncplane.idm_sync_rules WHERE $1::int IS NULL OR connected_system_id = $1;

-- name: update_sync_rule
-- Replaces a rule's fields.
UPDATE syncplane.idm_sync_rules
SET name = $2, direction = $3, enabled = $4, precedence = $5, rule = $6, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: delete_sync_rule
-- Deletes a rule.
DELETE FROM syncplane.idm_sync_rules WHERE id = $1 RETURNING id;

-- name: enabled_sync_rules
-- Every enabled rule, for a run's plan.
SELECT * FROM syncplane.idm_sync_rules WHERE enabled ORDER BY precedence, id;

-- name: connected_system_names
-- Name and connector of several connected systems.
SELECT cs.id, cs.name, d.connector
FROM syncplane.idm_connected_systems cs
JOIN syncplane.idm_connector_definitions d ON d.id = cs.connector_definition_id
WHERE cs.id = ANY($1::int[]);

-- name: insert_activity
-- Records a queued execution.
INSERT INTO syncplane.idm_activities (
    id, root_run_id, target_type, target_operation_type, target_name, target_context,
    connected_system_id, run_profile_id, run_type, initiated_by_type, initiated_by_id,
    initiated_by_name, warnings, message)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14);

-- name: get_activity
-- One activity with its run chain's latest attempt and first start.
SELECT a.*,
       r.id AS run_id, r.status AS run_status, r.progress AS run_progress, r.executor_id,
       r.attempt_number, r.updated_at AS run_updated_at, r.error AS run_error,
       r.next_attempt_run_id,
       (SELECT min(s.started_at) FROM syncplane.runs s
         WHERE s.subject_kind = 'identity' AND s.subject_id = a.id) AS first_started_at
FROM syncplane.idm_activities a
LEFT JOIN LATERAL (
    SELECT * FROM syncplane.runs
    WHERE subject_kind = 'identity' AND subject_id = a.id
    ORDER BY created_at DESC LIMIT 1
) r ON true
WHERE a.id = $1;

-- name: list_activities
-- A page of activities with filters ($1 statuses, $2 cs id, $3 cs name, $4 rp id,
-- $5 rp name, $6 created from, $7 created to, $8 search, $13 scheduled only,
-- $14 schedule id) and the total.
SELECT a.*,
       (SELECT min(s.started_at) FROM syncplane.runs s
         WHERE s.subject_kind = 'identity' AND s.subject_id = a.id) AS first_started_at,
       (SELECT s.progress FROM syncplane.runs s
         WHERE s.subject_kind = 'identity' AND s.subject_id = a.id
         ORDER BY s.created_at DESC LIMIT 1) AS run_progress,
       count(*) OVER () AS total_count
FROM syncplane.idm_activities a
WHERE (cardinality($1::text[]) = 0 OR a.status = ANY($1::text[]))
  AND ($2::int IS NULL OR a.connected_system_id = $2)
  AND ($3::text IS NULL OR lower(a.target_context) = lower($3))
  AND ($4::int IS NULL OR a.run_profile_id = $4)
  AND ($5::text IS NULL OR lower(a.target_name) = lower($5))
  AND ($6::timestamptz IS NULL OR a.created_at >= $6)
  AND ($7::timestamptz IS NULL OR a.created_at <= $7)
  AND ($8::text IS NULL OR a.target_name ILIKE '%' || $8 || '%' OR a.target_context ILIKE '%' || $8 || '%'
       OR a.message ILIKE '%' || $8 || '%')
  AND (NOT $13::boolean OR a.scheduled_by_schedule_id IS NOT NULL)
  AND ($14::uuid IS NULL OR a.scheduled_by_schedule_id = $14)
ORDER BY
    CASE WHEN $9 = 'created' AND $10 = 'asc' THEN a.created_at END ASC,
    CASE WHEN $9 = 'created' AND $10 = 'desc' THEN a.created_at END DESC,
    CASE WHEN $9 = 'status' AND $10 = 'asc' THEN a.status END ASC,
    CASE WHEN $9 = 'status' AND $10 = 'desc' THEN a.status END DESC,
    CASE WHEN $9 = 'targetName' AND $10 = 'asc' THEN a.target_name END ASC,
    CASE WHEN $9 = 'targetName' AND $10 = 'desc' THEN a.target_name END DESC,
    a.created_at DESC, a.id
LIMIT $11 OFFSET $12;

-- name: activity_by_id_for_update
-- An activity, locked while its run ends.
SELECT * FROM syncplane.idm_activities WHERE id = $1 FOR UPDATE;

-- name: finish_activity
-- Writes an activity's outcome when its run chain ends.
UPDATE syncplane.idm_activities
SET status = $2, executed_at = $3, ended_at = $4, message = $5, error_message = $6,
    warning_message = $7, detail = $8
WHERE id = $1;

-- name: list_worker_tasks
-- The identity runs that are queued or running, oldest first, with their activity
-- and whether each waits for a previous run of its connected system.
SELECT r.id AS run_id, r.status AS run_status, r.created_at AS run_created_at, r.started_at,
       r.executor_id, r.attempt_number, coalesce(r.attempt_root_run_id, r.id) AS root_run_id,
       -- pending behind another run of its connected system (running, or queued ahead of it)
       (r.status = 'pending' AND r.mutex_key IS NOT NULL AND EXISTS (
           SELECT 1 FROM syncplane.runs ahead
           WHERE ahead.mutex_key = r.mutex_key AND ahead.id <> r.id
             AND (ahead.status IN ('running', 'cancelling')
                  OR (ahead.status = 'pending' AND (ahead.queued_at, ahead.id) < (r.queued_at, r.id))))) AS waiting,
       a.id AS activity_id, a.target_operation_type, a.target_name, a.target_context,
       a.connected_system_id, a.run_profile_id, a.created_at,
       count(*) OVER () AS total_count
FROM syncplane.runs r
JOIN syncplane.idm_activities a ON a.id = r.subject_id
WHERE r.subject_kind = 'identity' AND r.status IN ('pending', 'running', 'cancelling')
ORDER BY a.created_at, r.id
LIMIT $1 OFFSET $2;

-- name: count_worker_tasks
-- How many identity runs are queued or running.
SELECT count(*) FROM syncplane.runs
WHERE subject_kind = 'identity' AND status IN ('pending', 'running', 'cancelling');

-- name: get_worker_task
-- The live attempt of a task (by the task id, its first attempt's run id).
SELECT r.id AS run_id, r.status AS run_status, r.created_at AS run_created_at, r.started_at,
       r.executor_id, r.attempt_number, coalesce(r.attempt_root_run_id, r.id) AS root_run_id,
       -- pending behind another run of its connected system (running, or queued ahead of it)
       (r.status = 'pending' AND r.mutex_key IS NOT NULL AND EXISTS (
           SELECT 1 FROM syncplane.runs ahead
           WHERE ahead.mutex_key = r.mutex_key AND ahead.id <> r.id
             AND (ahead.status IN ('running', 'cancelling')
                  OR (ahead.status = 'pending' AND (ahead.queued_at, ahead.id) < (r.queued_at, r.id))))) AS waiting,
       a.id AS activity_id, a.target_operation_type, a.target_name, a.target_context,
       a.connected_system_id, a.run_profile_id, a.created_at
FROM syncplane.idm_activities a
JOIN syncplane.runs r ON r.subject_kind = 'identity' AND r.subject_id = a.id
WHERE a.root_run_id = $1 AND r.status IN ('pending', 'running', 'cancelling');

-- name: active_runs_of_connected_system
-- How many identity runs of a connected system are queued or running.
SELECT count(*) FROM syncplane.runs r
JOIN syncplane.idm_activities a ON a.id = r.subject_id
WHERE r.subject_kind = 'identity' AND a.connected_system_id = $1
  AND r.status IN ('pending', 'running', 'cancelling');
