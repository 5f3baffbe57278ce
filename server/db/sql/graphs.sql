-- name: insert_graph
-- Starts a graph (running) and tells watchers.
WITH ins AS (
    INSERT INTO syncplane.run_graphs (id, subject_kind, subject_id, label, on_step_failure, triggered_by,
                                      trigger_ref, group_count)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    RETURNING *
)
SELECT ins.*, pg_notify('syncplane_run_changed', ins.id::text) AS notified FROM ins;

-- name: insert_steps
-- The steps of a new graph, all waiting.
INSERT INTO syncplane.run_graph_steps (graph_id, position, group_index, on_failure, params)
SELECT $1, s.position, s.group_index, s.on_failure, s.params
FROM unnest($2::integer[], $3::integer[], $4::text[], $5::jsonb[]) AS s(position, group_index, on_failure, params);

-- name: get_graph
-- One graph by id.
SELECT * FROM syncplane.run_graphs WHERE id = $1;

-- name: lock_graph
-- One graph by id, locked until the transaction ends: every transition of a
-- graph holds this lock, so two steps ending at once are decided one after the other.
SELECT * FROM syncplane.run_graphs WHERE id = $1 FOR UPDATE;

-- name: graph_of_run
-- The graph a run chain (by its first attempt) is a step of, if any.
SELECT graph_id FROM syncplane.run_graph_steps WHERE run_id = $1;

-- name: graph_steps
-- A graph's steps in order.
SELECT * FROM syncplane.run_graph_steps WHERE graph_id = $1 ORDER BY position;

-- name: graph_steps_of
-- The steps of several graphs in order (a page of graphs).
SELECT * FROM syncplane.run_graph_steps WHERE graph_id = ANY($1::uuid[]) ORDER BY graph_id, position;

-- name: active_graph_of_subject
-- A subject's graph that has not ended, if any (the newest).
SELECT * FROM syncplane.run_graphs
WHERE subject_kind = $1 AND subject_id = $2 AND status IN ('running', 'cancelling')
ORDER BY created_at DESC
LIMIT 1;

-- name: step_released
-- A step's run chain was queued.
UPDATE syncplane.run_graph_steps
SET status = 'running', run_id = $3, released_at = clock_timestamp()
WHERE graph_id = $1 AND position = $2 AND status = 'waiting';

-- name: step_ended
-- A step ended (succeeded, failed or cancelled) with the setting that applied.
UPDATE syncplane.run_graph_steps
SET status = $3, reason = $4, error = $5, applied_on_failure = $6, ended_at = clock_timestamp()
WHERE graph_id = $1 AND position = $2 AND status IN ('waiting', 'running');

-- name: cancel_waiting_steps
-- Ends every step not yet released (the graph stopped or was cancelled).
UPDATE syncplane.run_graph_steps
SET status = 'cancelled', reason = $2, ended_at = clock_timestamp()
WHERE graph_id = $1 AND status = 'waiting';

-- name: graph_group_released
-- Records the group just released, and tells watchers.
WITH upd AS (
    UPDATE syncplane.run_graphs SET current_group = $2, updated_at = clock_timestamp()
    WHERE id = $1
    RETURNING id
)
SELECT pg_notify('syncplane_run_changed', upd.id::text) FROM upd;

-- name: graph_stopped
-- A failing step stopped the graph: nothing more is released.
UPDATE syncplane.run_graphs
SET stopped_by_step = $2, error = $3, updated_at = clock_timestamp()
WHERE id = $1 AND stopped_by_step IS NULL;

-- name: graph_cancelling
-- Asks a running graph to stop, and tells watchers.
WITH upd AS (
    UPDATE syncplane.run_graphs
    SET status = 'cancelling', cancel_requested_at = clock_timestamp(), cancel_requested_by = $2,
        error = $3, updated_at = clock_timestamp()
    WHERE id = $1 AND status = 'running'
    RETURNING *
)
SELECT upd.*, pg_notify('syncplane_run_changed', upd.id::text) AS notified FROM upd;

-- name: graph_ended
-- Ends a graph with its final status, and tells watchers.
WITH upd AS (
    UPDATE syncplane.run_graphs
    SET status = $2, error = coalesce($3, error), completed_at = clock_timestamp(), updated_at = clock_timestamp()
    WHERE id = $1 AND status IN ('running', 'cancelling')
    RETURNING *
)
SELECT upd.*, pg_notify('syncplane_run_changed', upd.id::text) AS notified FROM upd;

-- name: graph_touched
-- Tells watchers a graph changed (a step ended without ending the graph).
SELECT pg_notify('syncplane_run_changed', $1::text);
