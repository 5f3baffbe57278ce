-- The identity-synchronisation dialect (seeds 000-002). Integer ids, as the
-- dialect's clients expect; activities and worker tasks are uuids (a worker
-- task is the engine run itself).

CREATE TABLE syncplane.idm_connector_definitions (
    id                     serial PRIMARY KEY,
    name                   text NOT NULL UNIQUE,
    description            text NOT NULL DEFAULT '',
    -- what the executor's identity connector dispatches on
    connector              text NOT NULL UNIQUE CHECK (connector IN ('file', 'sql', 'ldap', 'scim')),
    supports_full_import   boolean NOT NULL,
    supports_delta_import  boolean NOT NULL,
    supports_export        boolean NOT NULL,
    supports_partitions    boolean NOT NULL,
    supports_file_paths    boolean NOT NULL,
    runnable               boolean NOT NULL DEFAULT true,
    unavailable_reason     text,
    -- [{"name", "type", "required", "secret", "description", "default"}]
    settings               jsonb NOT NULL DEFAULT '[]'::jsonb
);

INSERT INTO syncplane.idm_connector_definitions
    (name, description, connector, supports_full_import, supports_delta_import, supports_export,
     supports_partitions, supports_file_paths, runnable, unavailable_reason, settings)
VALUES
('File (CSV)', 'Delimited text files within the service''s file roots.', 'file',
 true, false, true, false, true, true, NULL,
 '[{"name": "filePath", "type": "string", "required": false, "secret": false, "description": "Default file when a run profile names none"},
   {"name": "delimiter", "type": "string", "required": false, "secret": false, "description": "Field delimiter", "default": ","},
   {"name": "objectType", "type": "string", "required": false, "secret": false, "description": "Object type of every row", "default": "person"},
   {"name": "anchorAttribute", "type": "string", "required": true, "secret": false, "description": "Column that identifies a row"},
   {"name": "multiValueSeparator", "type": "string", "required": false, "secret": false, "description": "Separator of multi-valued cells", "default": "|"}]'),
('LDAP', 'An LDAP directory; partitions are its naming contexts.', 'ldap',
 true, true, true, true, false, true, NULL,
 '[{"name": "host", "type": "string", "required": true, "secret": false, "description": "Directory host"},
   {"name": "port", "type": "integer", "required": false, "secret": false, "description": "Directory port", "default": 389},
   {"name": "bindDn", "type": "string", "required": true, "secret": false, "description": "DN to bind as"},
   {"name": "password", "type": "string", "required": false, "secret": true, "description": "Bind password"},
   {"name": "useTls", "type": "boolean", "required": false, "secret": false, "description": "StartTLS", "default": false},
   {"name": "objectClasses", "type": "object", "required": false, "secret": false, "description": "Object type -> objectClass", "default": {"person": "inetOrgPerson"}},
   {"name": "anchorAttribute", "type": "string", "required": false, "secret": false, "description": "Anchor attribute", "default": "entryUUID"},
   {"name": "rdnAttribute", "type": "string", "required": false, "secret": false, "description": "RDN attribute of new entries", "default": "uid"}]'),
('SCIM 2.0', 'A SCIM 2.0 service provider.', 'scim',
 true, true, true, false, false, false, 'no SCIM connector is built into this server''s executors',
 '[{"name": "baseUrl", "type": "string", "required": true, "secret": false, "description": "SCIM base URL"},
   {"name": "token", "type": "string", "required": true, "secret": true, "description": "Bearer token"}]'),
('SQL (PostgreSQL)', 'A PostgreSQL table.', 'sql',
 true, true, true, false, false, true, NULL,
 '[{"name": "dsn", "type": "string", "required": false, "secret": false, "description": "postgresql:// URL (or host/port/database/user)"},
   {"name": "host", "type": "string", "required": false, "secret": false, "description": "Database host"},
   {"name": "port", "type": "integer", "required": false, "secret": false, "description": "Database port", "default": 5432},
   {"name": "database", "type": "string", "required": false, "secret": false, "description": "Database name"},
   {"name": "user", "type": "string", "required": false, "secret": false, "description": "Database user"},
   {"name": "password", "type": "string", "required": false, "secret": true, "description": "Database password"},
   {"name": "table", "type": "string", "required": true, "secret": false, "description": "schema.table"},
   {"name": "objectType", "type": "string", "required": false, "secret": false, "description": "Object type of every row", "default": "person"},
   {"name": "anchorColumn", "type": "string", "required": true, "secret": false, "description": "Column that identifies a row"},
   {"name": "watermarkColumn", "type": "string", "required": false, "secret": false, "description": "Delta import: rows with a watermark >= the last one"},
   {"name": "deletedColumn", "type": "string", "required": false, "secret": false, "description": "Soft-delete flag"}]');

CREATE TABLE syncplane.idm_connected_systems (
    id                       serial PRIMARY KEY,
    name                     text NOT NULL,
    description              text,
    connector_definition_id  integer NOT NULL REFERENCES syncplane.idm_connector_definitions(id),
    settings                 jsonb NOT NULL DEFAULT '{}'::jsonb,
    credential_id            uuid NOT NULL REFERENCES syncplane.credentials(id),
    status                   text NOT NULL DEFAULT 'Active' CHECK (status IN ('Active', 'Disabled', 'Deleting')),
    object_types             jsonb NOT NULL DEFAULT '[]'::jsonb,
    containers               jsonb NOT NULL DEFAULT '[]'::jsonb,
    schema_imported_at       timestamptz,
    -- as the last run reported them (connector-space objects, pending exports)
    object_count             integer NOT NULL DEFAULT 0,
    pending_export_count     integer NOT NULL DEFAULT 0,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
-- Clients address connected systems by name too (seed 001's -ConnectedSystemName).
CREATE UNIQUE INDEX idm_connected_systems_name_key ON syncplane.idm_connected_systems (lower(name));

CREATE TABLE syncplane.idm_partitions (
    id                   serial PRIMARY KEY,
    connected_system_id  integer NOT NULL REFERENCES syncplane.idm_connected_systems(id) ON DELETE CASCADE,
    name                 text NOT NULL,
    external_id          text NOT NULL,
    selected             boolean NOT NULL DEFAULT true,
    UNIQUE (connected_system_id, external_id)
);

CREATE TABLE syncplane.idm_run_profiles (
    id                   serial PRIMARY KEY,
    connected_system_id  integer NOT NULL REFERENCES syncplane.idm_connected_systems(id) ON DELETE CASCADE,
    name                 text NOT NULL,
    run_type             text NOT NULL,
    page_size            integer NOT NULL DEFAULT 100,
    -- a partition that a later schema import drops leaves the profile without one
    partition_id         integer REFERENCES syncplane.idm_partitions(id) ON DELETE SET NULL,
    file_path            text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idm_run_profiles_cs_idx ON syncplane.idm_run_profiles (connected_system_id);

CREATE TABLE syncplane.idm_sync_rules (
    id                   serial PRIMARY KEY,
    connected_system_id  integer NOT NULL REFERENCES syncplane.idm_connected_systems(id) ON DELETE CASCADE,
    name                 text NOT NULL,
    direction            text NOT NULL CHECK (direction IN ('Inbound', 'Outbound')),
    enabled              boolean NOT NULL DEFAULT true,
    precedence           integer NOT NULL DEFAULT 100,
    -- csObjectType, mvObjectType, scope, joinRules, flows... (docs/identity.md)
    rule                 jsonb NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- The durable record of one execution. Its live state is the engine run chain
-- that starts at root_run_id (the worker task); the columns below the divider
-- are written when that chain ends.
CREATE TABLE syncplane.idm_activities (
    id                     uuid PRIMARY KEY,
    created_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    root_run_id            uuid NOT NULL UNIQUE,
    target_type            text NOT NULL,
    target_operation_type  text NOT NULL,
    target_name            text,
    target_context         text,
    -- no foreign keys: the record outlives the system and profile it names
    connected_system_id    integer,
    run_profile_id         integer,
    run_type               text NOT NULL,
    initiated_by_type      text NOT NULL,
    initiated_by_id        text,
    initiated_by_name      text,
    warnings               jsonb NOT NULL DEFAULT '[]'::jsonb,
    ---------------------------------------------------------------------------
    status                 text NOT NULL DEFAULT 'InProgress' CHECK (status IN
                             ('InProgress', 'Complete', 'CompleteWithWarning', 'CompleteWithError',
                              'FailedWithError', 'Cancelled')),
    executed_at            timestamptz,
    ended_at               timestamptz,
    message                text,
    error_message          text,
    warning_message        text,
    -- the run's final summary detail (counters, phases, itemErrors, warnings)
    detail                 jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX idm_activities_created_idx ON syncplane.idm_activities (created_at DESC);
CREATE INDEX idm_activities_cs_idx ON syncplane.idm_activities (connected_system_id, created_at DESC);
