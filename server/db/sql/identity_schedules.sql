-- name: insert_schedule
-- Creates an identity schedule (its steps are written by replace_schedule_steps).
INSERT INTO syncplane.idm_schedules (
    id, name, description, trigger_type, cron_expression, time_zone, pattern_type, days_of_week, run_times,
    interval_value, interval_unit, interval_window_start, interval_window_end, is_enabled, on_step_failure)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15);

-- name: update_schedule
-- Replaces an identity schedule's fields.
UPDATE syncplane.idm_schedules
SET name = $2, description = $3, trigger_type = $4, cron_expression = $5, time_zone = $6, pattern_type = $7,
    days_of_week = $8, run_times = $9, interval_value = $10, interval_unit = $11, interval_window_start = $12,
    interval_window_end = $13, is_enabled = $14, on_step_failure = $15, updated_at = clock_timestamp()
WHERE id = $1;

-- name: set_schedule_enabled
-- Enables or disables a schedule; returns its id when it exists.
UPDATE syncplane.idm_schedules SET is_enabled = $2, updated_at = clock_timestamp()
WHERE id = $1
RETURNING id;

-- name: delete_schedule
-- Deletes a schedule (its steps go with it); returns its id when it existed.
DELETE FROM syncplane.idm_schedules WHERE id = $1 RETURNING id;

-- name: lock_schedule
-- One schedule, locked until the transaction ends.
SELECT * FROM syncplane.idm_schedules WHERE id = $1 FOR UPDATE;

-- name: get_schedule
-- One schedule with its next slot and its latest execution.
SELECT s.*, sc.next_fire_at, sc.enabled AS cron_enabled,
       (SELECT count(*) FROM syncplane.idm_schedule_steps st WHERE st.schedule_id = s.id) AS step_count,
       g.id AS last_graph_id, g.status AS last_graph_status, g.current_group AS last_current_group,
       g.group_count AS last_group_count, g.started_at AS last_run_at, g.completed_at AS last_completed_at,
       g.error AS last_error,
       (SELECT coalesce(array_agg(DISTINCT gs.group_index ORDER BY gs.group_index), '{}')
          FROM syncplane.run_graph_steps gs
         WHERE gs.graph_id = g.id
           AND (gs.status = 'failed' OR (gs.status = 'cancelled' AND gs.run_id IS NOT NULL))) AS last_failed_groups
FROM syncplane.idm_schedules s
LEFT JOIN syncplane.schedules sc ON sc.subject_kind = 'identity_schedule' AND sc.subject_id = s.id
LEFT JOIN LATERAL (
    SELECT * FROM syncplane.run_graphs
    WHERE subject_kind = 'identity_schedule' AND subject_id = s.id
    ORDER BY created_at DESC LIMIT 1
) g ON true
WHERE s.id = $1;

-- name: list_schedules
-- A page of schedules ($1 search, $2 sort key, $3 direction, $4 limit, $5 offset) with the total.
SELECT s.*, sc.next_fire_at, sc.enabled AS cron_enabled,
       (SELECT count(*) FROM syncplane.idm_schedule_steps st WHERE st.schedule_id = s.id) AS step_count,
       g.id AS last_graph_id, g.status AS last_graph_status, g.current_group AS last_current_group,
       g.group_count AS last_group_count, g.started_at AS last_run_at, g.completed_at AS last_completed_at,
       g.error AS last_error,
       (SELECT coalesce(array_agg(DISTINCT gs.group_index ORDER BY gs.group_index), '{}')
          FROM syncplane.run_graph_steps gs
         WHERE gs.graph_id = g.id
           AND (gs.status = 'failed' OR (gs.status = 'cancelled' AND gs.run_id IS NOT NULL))) AS last_failed_groups,
       count(*) OVER () AS total_count
FROM syncplane.idm_schedules s
LEFT JOIN syncplane.schedules sc ON sc.subject_kind = 'identity_schedule' AND sc.subject_id = s.id
LEFT JOIN LATERAL (
    SELECT * FROM syncplane.run_graphs
    WHERE subject_kind = 'identity_schedule' AND subject_id = s.id
    ORDER BY created_at DESC LIMIT 1
) g ON true
WHERE $1::text IS NULL OR s.name ILIKE '%' || $1 || '%' OR s.description ILIKE '%' || $1 || '%'
ORDER BY
    CASE WHEN $2 = 'name' AND $3 = 'asc' THEN lower(s.name) END ASC,
    CASE WHEN $2 = 'name' AND $3 = 'desc' THEN lower(s.name) END DESC,
    CASE WHEN $2 = 'isEnabled' AND $3 = 'asc' THEN s.is_enabled END ASC,
    CASE WHEN $2 = 'isEnabled' AND $3 = 'desc' THEN s.is_enabled END DESC,
    CASE WHEN $2 = 'lastRunTime' AND $3 = 'asc' THEN g.started_at END ASC,
    CASE WHEN $2 = 'lastRunTime' AND $3 = 'desc' THEN g.started_at END DESC NULLS LAST,
    CASE WHEN $2 = 'nextRunTime' AND $3 = 'asc' THEN sc.next_fire_at END ASC,
    CASE WHEN $2 = 'nextRunTime' AND $3 = 'desc' THEN sc.next_fire_at END DESC NULLS LAST,
    CASE WHEN $2 = 'created' AND $3 = 'asc' THEN s.created_at END ASC,
    CASE WHEN $2 = 'created' AND $3 = 'desc' THEN s.created_at END DESC,
    s.created_at, s.id
LIMIT $4 OFFSET $5;

-- name: count_schedules
-- How many schedules match a search (for a page past the end).
SELECT count(*) FROM syncplane.idm_schedules s
WHERE $1::text IS NULL OR s.name ILIKE '%' || $1 || '%' OR s.description ILIKE '%' || $1 || '%';

-- name: schedule_steps
-- A schedule's steps in order, with the names of what they run.
SELECT st.*, cs.name AS connected_system_name, rp.name AS run_profile_name
FROM syncplane.idm_schedule_steps st
LEFT JOIN syncplane.idm_connected_systems cs ON cs.id = st.connected_system_id
LEFT JOIN syncplane.idm_run_profiles rp ON rp.id = st.run_profile_id AND rp.connected_system_id = st.connected_system_id
WHERE st.schedule_id = $1
ORDER BY st.step_index, st.position;

-- name: delete_schedule_steps
-- Removes a schedule's steps before the new list is written.
DELETE FROM syncplane.idm_schedule_steps WHERE schedule_id = $1;

-- name: insert_schedule_steps
-- Writes a schedule's steps (in order).
INSERT INTO syncplane.idm_schedule_steps (
    id, schedule_id, position, step_index, name, execution_mode, step_type, on_failure, timeout_seconds,
    connected_system_id, run_profile_id)
SELECT s.id, $1, s.n, s.step_index, s.name, s.execution_mode, 'RunProfile', s.on_failure, s.timeout_seconds,
       s.connected_system_id, s.run_profile_id
FROM unnest($2::uuid[], $3::integer[], $4::text[], $5::text[], $6::text[], $7::integer[], $8::integer[],
            $9::integer[]) WITH ORDINALITY
     AS s(id, step_index, name, execution_mode, on_failure, timeout_seconds, connected_system_id, run_profile_id, n);

-- name: schedule_step_ids
-- The ids of a schedule's stored steps (a PUT may name them).
SELECT id FROM syncplane.idm_schedule_steps WHERE schedule_id = $1;

-- name: step_failure_settings
-- What a failing step of a running execution follows now: its stored step's
-- setting and its schedule's (NULL when either was deleted meanwhile).
SELECT s.on_step_failure, st.on_failure
FROM syncplane.idm_schedules s
LEFT JOIN syncplane.idm_schedule_steps st ON st.id = $2 AND st.schedule_id = s.id
WHERE s.id = $1;

-- name: mark_activity_scheduled
-- Records which execution, step and schedule ran an activity.
UPDATE syncplane.idm_activities
SET schedule_execution_id = $2, schedule_step_index = $3, scheduled_by_schedule_id = $4,
    scheduled_by_schedule_name = $5
WHERE id = $1;

-- name: list_executions
-- A page of schedule executions ($1 schedule id or NULL, $2 sort key, $3
-- direction, $4 limit, $5 offset) with the total.
SELECT g.*, count(*) OVER () AS total_count,
       (SELECT gs.params->'initiatedBy' FROM syncplane.run_graph_steps gs
         WHERE gs.graph_id = g.id AND gs.position = 0) AS initiated_by
FROM syncplane.run_graphs g
WHERE g.subject_kind = 'identity_schedule' AND ($1::uuid IS NULL OR g.subject_id = $1)
ORDER BY
    CASE WHEN $2 = 'queuedAt' AND $3 = 'asc' THEN g.created_at END ASC,
    CASE WHEN $2 = 'queuedAt' AND $3 = 'desc' THEN g.created_at END DESC,
    CASE WHEN $2 = 'startedAt' AND $3 = 'asc' THEN g.started_at END ASC,
    CASE WHEN $2 = 'startedAt' AND $3 = 'desc' THEN g.started_at END DESC,
    CASE WHEN $2 = 'completedAt' AND $3 = 'asc' THEN g.completed_at END ASC,
    CASE WHEN $2 = 'completedAt' AND $3 = 'desc' THEN g.completed_at END DESC NULLS LAST,
    CASE WHEN $2 = 'status' AND $3 = 'asc' THEN g.status END ASC,
    CASE WHEN $2 = 'status' AND $3 = 'desc' THEN g.status END DESC,
    g.created_at DESC, g.id
LIMIT $4 OFFSET $5;

-- name: count_executions
-- How many executions (of a schedule) there are (for a page past the end).
SELECT count(*) FROM syncplane.run_graphs g
WHERE g.subject_kind = 'identity_schedule' AND ($1::uuid IS NULL OR g.subject_id = $1);

-- name: active_executions
-- The executions not yet ended, oldest first.
SELECT g.*,
       (SELECT gs.params->'initiatedBy' FROM syncplane.run_graph_steps gs
         WHERE gs.graph_id = g.id AND gs.position = 0) AS initiated_by
FROM syncplane.run_graphs g
WHERE g.subject_kind = 'identity_schedule' AND g.status IN ('running', 'cancelling')
ORDER BY g.created_at
LIMIT 500;

-- name: execution_steps
-- An execution's steps with their activity and the latest attempt of their run.
SELECT gs.*, a.id AS activity_id, a.status AS activity_status, a.detail AS activity_detail,
       a.error_message AS activity_error, a.warning_message AS activity_warning, a.ended_at AS activity_ended_at,
       r.status AS run_status, r.progress AS run_progress, r.id AS latest_run_id,
       (SELECT min(f.started_at) FROM syncplane.runs f
         WHERE f.subject_kind = 'identity' AND f.subject_id = a.id) AS first_started_at
FROM syncplane.run_graph_steps gs
LEFT JOIN syncplane.idm_activities a ON a.root_run_id = gs.run_id
-- an activity's runs are its chain's attempts (subject = the activity)
LEFT JOIN LATERAL (
    SELECT * FROM syncplane.runs
    WHERE subject_kind = 'identity' AND subject_id = a.id
    ORDER BY created_at DESC LIMIT 1
) r ON true
WHERE gs.graph_id = $1
ORDER BY gs.position;

-- name: get_execution
-- One schedule execution (a run graph of identity schedules).
SELECT g.*,
       (SELECT gs.params->'initiatedBy' FROM syncplane.run_graph_steps gs
         WHERE gs.graph_id = g.id AND gs.position = 0) AS initiated_by
FROM syncplane.run_graphs g
WHERE g.id = $1 AND g.subject_kind = 'identity_schedule';
