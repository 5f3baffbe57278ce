-- The sync-jobs dialect (seed 003). A sync job run is a dialect row; its
-- attempts are engine runs of subject kind 'sync_job' with subject_id = the
-- sync job run's id. Secrets (integrated accounts' credentials, webhooks'
-- signing secrets) live in syncplane.credentials.

CREATE TABLE syncplane.jobs_integrations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    label       text NOT NULL,
    base_url    text NOT NULL,
    auth        jsonb NOT NULL DEFAULT '{"type": "none"}'::jsonb,
    resources   jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE syncplane.jobs_integrated_accounts (
    id                uuid PRIMARY KEY,
    integration_name  text NOT NULL REFERENCES syncplane.jobs_integrations(name) ON UPDATE CASCADE,
    context           jsonb NOT NULL DEFAULT '{}'::jsonb,
    tenant_id         text,
    environment_id    uuid NOT NULL,
    credential_id     uuid NOT NULL REFERENCES syncplane.credentials(id),
    has_credentials   boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX jobs_integrated_accounts_list_idx ON syncplane.jobs_integrated_accounts (created_at DESC, id DESC);

CREATE TABLE syncplane.jobs_webhooks (
    id                    uuid PRIMARY KEY,
    target_url            text NOT NULL,
    event_types           text[] NOT NULL,
    is_active             boolean NOT NULL DEFAULT true,
    environment_id        uuid NOT NULL,
    -- {"secret": "..."}: the HMAC key, shown once
    credential_id         uuid NOT NULL REFERENCES syncplane.credentials(id),
    consecutive_failures  integer NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at            timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE syncplane.jobs_sync_jobs (
    id                uuid PRIMARY KEY,
    integration_name  text NOT NULL REFERENCES syncplane.jobs_integrations(name) ON UPDATE CASCADE,
    label             text NOT NULL DEFAULT 'Untitled',
    args_schema       jsonb,
    resources         jsonb NOT NULL,
    environment_id    uuid NOT NULL,
    mutex_key         text,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE syncplane.jobs_sync_job_runs (
    id                     uuid PRIMARY KEY,
    sync_job_id            uuid NOT NULL REFERENCES syncplane.jobs_sync_jobs(id),
    integrated_account_id  uuid NOT NULL REFERENCES syncplane.jobs_integrated_accounts(id),
    args                   jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- the job's resources when the run was created
    resources              jsonb NOT NULL,
    daemon_group_key       text,
    webhook_id             uuid REFERENCES syncplane.jobs_webhooks(id) ON DELETE SET NULL,
    error_handling         text NOT NULL CHECK (error_handling IN ('fail_fast', 'ignore')),
    ignore_previous_run    boolean NOT NULL DEFAULT false,
    mutex_key              text,
    previous_run_date      timestamptz,
    environment_id         uuid NOT NULL,
    triggered_by           text NOT NULL DEFAULT 'api',
    created_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at             timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX jobs_sync_job_runs_list_idx ON syncplane.jobs_sync_job_runs (created_at DESC, id DESC);
CREATE INDEX jobs_sync_job_runs_job_idx ON syncplane.jobs_sync_job_runs (sync_job_id, integrated_account_id);

CREATE TABLE syncplane.jobs_cron_triggers (
    id                     uuid PRIMARY KEY,
    sync_job_id            uuid NOT NULL REFERENCES syncplane.jobs_sync_jobs(id),
    integrated_account_id  uuid NOT NULL REFERENCES syncplane.jobs_integrated_accounts(id),
    args                   jsonb NOT NULL DEFAULT '{}'::jsonb,
    cron_expression        text NOT NULL,
    daemon_group_key       text,
    webhook_id             uuid REFERENCES syncplane.jobs_webhooks(id),
    error_handling         text NOT NULL CHECK (error_handling IN ('fail_fast', 'ignore')),
    ignore_previous_run    boolean NOT NULL DEFAULT false,
    created_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at             timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE syncplane.jobs_daemons (
    id          uuid PRIMARY KEY,
    label       text NOT NULL,
    group_key   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Executors as the engine last saw them (any server): a daemon's live status.
CREATE TABLE syncplane.executors (
    executor_id      text PRIMARY KEY,
    executor_group   text NOT NULL,
    -- the stream that set `connected`: an old stream's end must not undo a reconnect
    session_id       text NOT NULL,
    connected        boolean NOT NULL,
    draining         boolean NOT NULL DEFAULT false,
    connected_at     timestamptz NOT NULL,
    last_seen_at     timestamptz NOT NULL
);

-- The durable outbox: one row per (event, webhook), written in the
-- transaction of the state change that causes it. Event ids are
-- deterministic, so writing an event twice is a no-op.
CREATE TABLE syncplane.jobs_outbox (
    id               bigserial PRIMARY KEY,
    event_id         uuid NOT NULL,
    webhook_id       uuid NOT NULL REFERENCES syncplane.jobs_webhooks(id) ON DELETE CASCADE,
    event            text NOT NULL,
    -- the exact JSON sent (signed as bytes)
    body             text NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at     timestamptz,
    UNIQUE (event_id, webhook_id)
);
CREATE INDEX jobs_outbox_due_idx ON syncplane.jobs_outbox (next_attempt_at) WHERE status = 'pending';

-- One row per delivery attempt.
CREATE TABLE syncplane.jobs_delivery_log (
    id           bigserial PRIMARY KEY,
    outbox_id    bigint NOT NULL REFERENCES syncplane.jobs_outbox(id) ON DELETE CASCADE,
    attempt      integer NOT NULL,
    http_status  integer,
    error        text,
    duration_ms  integer NOT NULL,
    at           timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- A sync job run with the state of its latest attempt, in the dialect's words.
CREATE VIEW syncplane.jobs_runs_view AS
SELECT jr.*,
       e.id AS engine_run_id,
       e.executor_id AS daemon_id,
       e.error,
       first_attempt.started_at,
       CASE WHEN e.status IN ('succeeded', 'failed', 'cancelled') THEN e.completed_at END AS finished_at,
       greatest(jr.updated_at, e.updated_at) AS changed_at,
       coalesce(e.summary #> '{detail,resource_stats}', e.progress #> '{detail,resource_stats}', '{}'::jsonb)
           AS resource_stats,
       CASE WHEN e.status = 'running' THEN e.progress #>> '{detail,rateLimitedUntil}' END AS rate_limited_until,
       CASE
           WHEN e.id IS NULL THEN 'created'
           WHEN e.status = 'pending' AND e.attempt_number = 1 THEN 'created'
           WHEN e.status = 'pending' THEN 'running'
           WHEN e.status = 'running'
                AND (e.progress #>> '{detail,rateLimitedUntil}') IS NOT NULL
                AND (e.progress #>> '{detail,rateLimitedUntil}')::timestamptz > clock_timestamp() THEN 'rate_limited'
           WHEN e.status = 'running' THEN 'running'
           WHEN e.status = 'cancelling' THEN 'stopped'
           WHEN e.status = 'succeeded' THEN 'completed'
           WHEN e.status = 'cancelled' OR e.result_reason_code = 'webhook_rejected' THEN 'stopped'
           ELSE 'failed'
       END AS status
FROM syncplane.jobs_sync_job_runs jr
LEFT JOIN LATERAL (
    SELECT * FROM syncplane.runs r
    WHERE r.subject_kind = 'sync_job' AND r.subject_id = jr.id
    ORDER BY r.created_at DESC
    LIMIT 1
) e ON true
LEFT JOIN LATERAL (
    SELECT min(r.started_at) AS started_at FROM syncplane.runs r
    WHERE r.subject_kind = 'sync_job' AND r.subject_id = jr.id
) first_attempt ON true;
