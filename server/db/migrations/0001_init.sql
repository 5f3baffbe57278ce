-- Control-plane state. Everything lives in the schema "syncplane"; only the
-- server touches it.
CREATE SCHEMA IF NOT EXISTS syncplane;

CREATE TABLE syncplane.api_keys (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('administrator', 'viewer')),
    prefix      text NOT NULL,
    key_hash    bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE syncplane.executor_tokens (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- Write-only secrets, referenced by dialect resources (connections, ...).
-- Never selected by any API read path; only the dispatcher reads them to hand
-- them to an executor.
CREATE TABLE syncplane.credentials (
    id          uuid PRIMARY KEY,
    secrets     jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- syncs dialect ------------------------------------------------------------
CREATE TABLE syncplane.connections (
    id             uuid PRIMARY KEY,
    name           text NOT NULL,
    provider_key   text NOT NULL,
    config         jsonb NOT NULL DEFAULT '{}'::jsonb,
    credential_id  uuid NOT NULL REFERENCES syncplane.credentials(id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text,
    updated_by     text
);

CREATE TABLE syncplane.syncs (
    id                     uuid PRIMARY KEY,
    connection_id          uuid NOT NULL REFERENCES syncplane.connections(id),
    name                   text NOT NULL,
    slug                   text,
    provider_key           text NOT NULL,
    entities               text[] NOT NULL DEFAULT '{}',
    source_config          jsonb NOT NULL DEFAULT '{}'::jsonb,
    destination_config     jsonb NOT NULL DEFAULT '{}'::jsonb,
    execution_backend      text NOT NULL DEFAULT 'native',
    execution_config       jsonb NOT NULL DEFAULT '{}'::jsonb,
    execution_mode         text NOT NULL DEFAULT 'sequential',
    status                 text NOT NULL DEFAULT 'draft',
    trigger_mode           text NOT NULL DEFAULT 'manual',
    schedule               jsonb,
    freshness_sla_seconds  integer,
    table_bindings         jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- secrets split out of destinationConfig (e.g. a DSN's password)
    credential_id          uuid REFERENCES syncplane.credentials(id),
    last_error             text,
    last_success_at        timestamptz,
    task_slug              text,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    created_by             text,
    updated_by             text
);
CREATE UNIQUE INDEX syncs_slug_key ON syncplane.syncs (slug) WHERE slug IS NOT NULL;
CREATE INDEX syncs_connection_idx ON syncplane.syncs (connection_id);

-- run engine -----------------------------------------------------------------
-- Fencing tokens: every attempt gets a fresh, strictly larger one.
CREATE SEQUENCE syncplane.attempt_tokens;

CREATE TABLE syncplane.runs (
    id                        uuid PRIMARY KEY,
    -- Which dialect resource this run executes: ('sync', <sync id>), ...
    subject_kind              text NOT NULL,
    subject_id                uuid NOT NULL,
    -- At most one non-terminal run per concurrency key.
    concurrency_key           text,
    status                    text NOT NULL CHECK (status IN
                                ('pending','running','cancelling','succeeded','failed','cancelled')),
    run_mode                  text NOT NULL DEFAULT 'incremental',
    triggered_by              text NOT NULL,
    trigger_ref               text,
    execution_backend         text NOT NULL DEFAULT 'native',
    execution_mode            text NOT NULL DEFAULT 'sequential',
    executor_group            text NOT NULL DEFAULT 'default',
    connector                 text NOT NULL,
    spec                      jsonb NOT NULL,
    -- role -> credentials id, e.g. {"source": ..., "destination": ...}
    credential_ids            jsonb NOT NULL DEFAULT '{}'::jsonb,
    executor_id               text,
    attempt_number            integer NOT NULL DEFAULT 1,
    attempt_root_run_id       uuid,
    previous_attempt_run_id   uuid,
    next_attempt_run_id       uuid,
    max_auto_resume_attempts  integer NOT NULL DEFAULT 3,
    -- auto-resumes used since the last manual trigger or retry
    auto_resume_count         integer NOT NULL DEFAULT 0,
    attempt_token             bigint,
    lease_expires_at          timestamptz,
    last_heartbeat_at         timestamptz,
    cancel_requested_at       timestamptz,
    cancel_requested_by       text,
    cancel_reason             text,
    result_class              text,
    result_reason_code        text,
    progress                  jsonb NOT NULL DEFAULT '{}'::jsonb,
    checkpoint                jsonb NOT NULL DEFAULT '{}'::jsonb,
    summary                   jsonb NOT NULL DEFAULT '{}'::jsonb,
    error                     text,
    started_at                timestamptz,
    completed_at              timestamptz,
    created_at                timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at                timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX runs_pending_idx ON syncplane.runs (executor_group, created_at) WHERE status = 'pending';
CREATE INDEX runs_active_idx ON syncplane.runs (lease_expires_at) WHERE status IN ('running', 'cancelling');
CREATE INDEX runs_subject_idx ON syncplane.runs (subject_kind, subject_id, created_at DESC);
CREATE UNIQUE INDEX runs_one_active_per_key ON syncplane.runs (concurrency_key)
    WHERE concurrency_key IS NOT NULL AND status IN ('pending', 'running', 'cancelling');
