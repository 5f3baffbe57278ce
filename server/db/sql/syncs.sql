-- name: insert_connection
-- Creates a connection.
INSERT INTO syncplane.connections (id, name, provider_key, config, credential_id, created_by, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $6)
RETURNING *;

-- name: get_connection
-- One connection by id.
SELECT * FROM syncplane.connections WHERE id = $1;

-- name: list_connections
-- A page of connections, newest first, optionally by provider, with the total.
SELECT *, count(*) OVER () AS total_count FROM syncplane.connections
WHERE (cardinality($1::text[]) = 0 OR provider_key = ANY($1::text[]))
ORDER BY created_at DESC, id
LIMIT $2 OFFSET $3;

-- name: count_connections
-- How many connections match (for a page past the end).
SELECT count(*) FROM syncplane.connections
WHERE (cardinality($1::text[]) = 0 OR provider_key = ANY($1::text[]));

-- name: update_connection
-- Writes the editable fields of a connection.
UPDATE syncplane.connections SET name = $2, config = $3, updated_by = $4, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: delete_connection
-- Deletes a connection no sync uses.
DELETE FROM syncplane.connections c
WHERE c.id = $1 AND NOT EXISTS (SELECT 1 FROM syncplane.syncs s WHERE s.connection_id = c.id)
RETURNING c.credential_id;

-- name: syncs_using_connection
-- How many syncs use a connection.
SELECT count(*) FROM syncplane.syncs WHERE connection_id = $1;

-- name: insert_sync
-- Creates a sync.
INSERT INTO syncplane.syncs (
    id, connection_id, name, slug, provider_key, entities, source_config, destination_config,
    execution_backend, execution_config, execution_mode, status, trigger_mode, schedule,
    freshness_sla_seconds, table_bindings, credential_id, created_by, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)
RETURNING *;

-- name: get_sync
-- One sync by id.
SELECT * FROM syncplane.syncs WHERE id = $1;

-- name: get_sync_for_update
-- One sync by id, locked.
SELECT * FROM syncplane.syncs WHERE id = $1 FOR UPDATE;

-- name: list_syncs
-- A page of syncs, newest first, filtered by status, provider and text, with the total.
SELECT *, count(*) OVER () AS total_count FROM syncplane.syncs
WHERE (cardinality($1::text[]) = 0 OR status = ANY($1::text[]))
  AND (cardinality($2::text[]) = 0 OR provider_key = ANY($2::text[]))
  AND ($3::text IS NULL OR name ILIKE '%' || $3 || '%' OR slug ILIKE '%' || $3 || '%')
  AND ($6::boolean IS NULL OR (freshness_sla_seconds IS NOT NULL AND
       coalesce(last_success_at + make_interval(secs => freshness_sla_seconds) > now(), false) = $6))
ORDER BY created_at DESC, id
LIMIT $4 OFFSET $5;

-- name: count_syncs
-- How many syncs match (for a page past the end).
SELECT count(*) FROM syncplane.syncs
WHERE (cardinality($1::text[]) = 0 OR status = ANY($1::text[]))
  AND (cardinality($2::text[]) = 0 OR provider_key = ANY($2::text[]))
  AND ($3::text IS NULL OR name ILIKE '%' || $3 || '%' OR slug ILIKE '%' || $3 || '%')
  AND ($4::boolean IS NULL OR (freshness_sla_seconds IS NOT NULL AND
       coalesce(last_success_at + make_interval(secs => freshness_sla_seconds) > now(), false) = $4));

-- name: update_sync
-- Writes every editable field of a sync.
UPDATE syncplane.syncs SET
    name = $2, slug = $3, entities = $4, source_config = $5, destination_config = $6,
    execution_backend = $7, execution_config = $8, execution_mode = $9, status = $10,
    trigger_mode = $11, schedule = $12, freshness_sla_seconds = $13, table_bindings = $14,
    credential_id = $15, updated_by = $16, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: delete_sync
-- Deletes a sync and its runs.
WITH gone_runs AS (
    DELETE FROM syncplane.runs WHERE subject_kind = 'sync' AND subject_id = $1
)
DELETE FROM syncplane.syncs WHERE id = $1 RETURNING credential_id;

-- name: sync_succeeded
-- A run of the sync succeeded: fresh again, error cleared.
UPDATE syncplane.syncs SET last_success_at = $2, last_error = NULL,
    status = CASE WHEN status = 'error' THEN 'active' ELSE status END
WHERE id = $1;

-- name: sync_slot_refused
-- A schedule slot of the sync queued nothing, and why (its backend is not
-- offered): said on the sync, as a failed run would say it.
UPDATE syncplane.syncs SET last_error = $2 WHERE id = $1;

-- name: sync_failed
-- A run of the sync failed; after $3 failures in a row the sync shows `error`.
UPDATE syncplane.syncs s SET last_error = $2,
    status = CASE
        WHEN s.status = 'active' AND (
            SELECT count(*) FROM (
                SELECT status FROM syncplane.runs
                WHERE subject_kind = 'sync' AND subject_id = s.id AND status IN ('succeeded', 'failed')
                  AND next_attempt_run_id IS NULL
                ORDER BY created_at DESC LIMIT $3) recent
            WHERE recent.status = 'failed') >= $3
        THEN 'error' ELSE s.status END
WHERE s.id = $1;
