-- name: insert_integration
-- Creates an integration.
INSERT INTO syncplane.jobs_integrations (id, name, label, base_url, auth, resources)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: get_integration
-- One integration by id.
SELECT * FROM syncplane.jobs_integrations WHERE id = $1;

-- name: get_integration_by_name
-- One integration by its unique name.
SELECT * FROM syncplane.jobs_integrations WHERE name = $1;

-- name: list_integrations
-- A page of integrations, newest first, after a cursor (created_at, id).
SELECT * FROM syncplane.jobs_integrations
WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2::uuid))
  AND ($4::text IS NULL OR name = $4)
ORDER BY created_at DESC, id DESC
LIMIT $3;

-- name: update_integration
-- Replaces an integration's mutable fields.
UPDATE syncplane.jobs_integrations
SET label = $2, base_url = $3, auth = $4, resources = $5, updated_at = clock_timestamp()
WHERE id = $1
RETURNING *;

-- name: delete_integration
-- Deletes an integration (the caller checked nothing uses it).
DELETE FROM syncplane.jobs_integrations WHERE id = $1 RETURNING id;

-- name: integration_in_use
-- Whether an integrated account or a sync job names the integration.
SELECT EXISTS (SELECT 1 FROM syncplane.jobs_integrated_accounts WHERE integration_name = $1)
    OR EXISTS (SELECT 1 FROM syncplane.jobs_sync_jobs WHERE integration_name = $1);

-- name: insert_account
-- Creates an integrated account.
INSERT INTO syncplane.jobs_integrated_accounts
    (id, integration_name, context, tenant_id, environment_id, credential_id, has_credentials)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: get_account
-- One integrated account by id.
SELECT * FROM syncplane.jobs_integrated_accounts WHERE id = $1;

-- name: list_accounts
-- A page of integrated accounts, newest first, after a cursor.
SELECT * FROM syncplane.jobs_integrated_accounts
WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2::uuid))
  AND ($4::text IS NULL OR integration_name = $4)
  AND ($5::uuid IS NULL OR environment_id = $5)
ORDER BY created_at DESC, id DESC
LIMIT $3;

-- name: update_account
-- Replaces an integrated account's context and tenant.
UPDATE syncplane.jobs_integrated_accounts
SET context = $2, tenant_id = $3, has_credentials = has_credentials OR $4, updated_at = clock_timestamp()
WHERE id = $1
RETURNING *;

-- name: delete_account
-- Deletes an integrated account with its runs and triggers.
WITH runs AS (DELETE FROM syncplane.jobs_sync_job_runs WHERE integrated_account_id = $1),
     triggers AS (DELETE FROM syncplane.jobs_cron_triggers WHERE integrated_account_id = $1)
DELETE FROM syncplane.jobs_integrated_accounts WHERE id = $1 RETURNING id, credential_id;

-- name: insert_webhook
-- Creates a webhook.
INSERT INTO syncplane.jobs_webhooks (id, target_url, event_types, is_active, environment_id, credential_id)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: get_webhook
-- One webhook by id.
SELECT * FROM syncplane.jobs_webhooks WHERE id = $1;

-- name: list_webhooks
-- A page of webhooks, newest first, after a cursor.
SELECT * FROM syncplane.jobs_webhooks
WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2::uuid))
  AND ($4::uuid IS NULL OR environment_id = $4)
ORDER BY created_at DESC, id DESC
LIMIT $3;

-- name: update_webhook
-- Replaces a webhook's mutable fields; re-activating it clears its failures.
UPDATE syncplane.jobs_webhooks
SET target_url = $2, event_types = $3, is_active = $4,
    consecutive_failures = CASE WHEN $4 AND NOT is_active THEN 0 ELSE consecutive_failures END,
    updated_at = clock_timestamp()
WHERE id = $1
RETURNING *;

-- name: delete_webhook
-- Deletes a webhook (its outbox rows go with it).
WITH unlink AS (UPDATE syncplane.jobs_cron_triggers SET webhook_id = NULL WHERE webhook_id = $1)
DELETE FROM syncplane.jobs_webhooks WHERE id = $1 RETURNING id, credential_id;

-- name: insert_sync_job
-- Creates a sync job.
INSERT INTO syncplane.jobs_sync_jobs (id, integration_name, label, args_schema, resources, environment_id, mutex_key)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: get_sync_job
-- One sync job by id.
SELECT * FROM syncplane.jobs_sync_jobs WHERE id = $1;

-- name: list_sync_jobs
-- A page of sync jobs, newest first, after a cursor.
SELECT * FROM syncplane.jobs_sync_jobs
WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2::uuid))
  AND ($4::text IS NULL OR integration_name = $4)
  AND ($5::uuid IS NULL OR environment_id = $5)
ORDER BY created_at DESC, id DESC
LIMIT $3;

-- name: update_sync_job
-- Replaces a sync job's mutable fields.
UPDATE syncplane.jobs_sync_jobs
SET label = $2, args_schema = $3, resources = $4, mutex_key = $5, updated_at = clock_timestamp()
WHERE id = $1
RETURNING *;

-- name: delete_sync_job
-- Deletes a sync job with its finished runs and its triggers.
WITH runs AS (DELETE FROM syncplane.jobs_sync_job_runs WHERE sync_job_id = $1),
     triggers AS (DELETE FROM syncplane.jobs_cron_triggers WHERE sync_job_id = $1)
DELETE FROM syncplane.jobs_sync_jobs WHERE id = $1 RETURNING id;

-- name: insert_cron_trigger
-- Creates a cron trigger; returns its id.
INSERT INTO syncplane.jobs_cron_triggers
    (id, sync_job_id, integrated_account_id, args, cron_expression, daemon_group_key, webhook_id,
     error_handling, ignore_previous_run)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id;

-- name: get_cron_trigger
-- One cron trigger by id, with its schedule's times.
SELECT t.*, s.next_fire_at AS next_run_at, s.last_fired_at AS last_run_at
FROM syncplane.jobs_cron_triggers t
LEFT JOIN syncplane.schedules s ON s.subject_kind = 'sync_job_cron_trigger' AND s.subject_id = t.id
WHERE t.id = $1;

-- name: list_cron_triggers
-- A page of cron triggers, newest first, after a cursor.
SELECT t.*, s.next_fire_at AS next_run_at, s.last_fired_at AS last_run_at
FROM syncplane.jobs_cron_triggers t
LEFT JOIN syncplane.schedules s ON s.subject_kind = 'sync_job_cron_trigger' AND s.subject_id = t.id
WHERE ($1::timestamptz IS NULL OR (t.created_at, t.id) < ($1, $2::uuid))
  AND ($4::uuid IS NULL OR t.sync_job_id = $4)
  AND ($5::uuid IS NULL OR t.integrated_account_id = $5)
ORDER BY t.created_at DESC, t.id DESC
LIMIT $3;

-- name: update_cron_trigger
-- Replaces a cron trigger's mutable fields.
UPDATE syncplane.jobs_cron_triggers
SET args = $2, cron_expression = $3, daemon_group_key = $4, webhook_id = $5, error_handling = $6,
    ignore_previous_run = $7, updated_at = clock_timestamp()
WHERE id = $1
RETURNING id;

-- name: delete_cron_trigger
-- Deletes a cron trigger.
DELETE FROM syncplane.jobs_cron_triggers WHERE id = $1 RETURNING id;

-- name: insert_daemon
-- Registers a daemon.
INSERT INTO syncplane.jobs_daemons (id, label, group_key) VALUES ($1, $2, $3) RETURNING id;

-- name: get_daemon
-- One daemon with its executor's live state.
SELECT d.*, x.connected, x.draining, x.last_seen_at
FROM syncplane.jobs_daemons d
LEFT JOIN syncplane.executors x ON x.executor_id = d.id::text
WHERE d.id = $1;

-- name: list_daemons
-- A page of daemons with their executors' live state, newest first.
SELECT d.*, x.connected, x.draining, x.last_seen_at
FROM syncplane.jobs_daemons d
LEFT JOIN syncplane.executors x ON x.executor_id = d.id::text
WHERE ($1::timestamptz IS NULL OR (d.created_at, d.id) < ($1, $2::uuid))
  AND ($4::text IS NULL OR d.group_key = $4)
ORDER BY d.created_at DESC, d.id DESC
LIMIT $3;

-- name: update_daemon
-- Renames a daemon.
UPDATE syncplane.jobs_daemons SET label = $2, updated_at = clock_timestamp() WHERE id = $1 RETURNING id;

-- name: delete_daemon
-- Forgets a daemon.
DELETE FROM syncplane.jobs_daemons WHERE id = $1 RETURNING id;
