-- name: connections_with_dsn_or_headers
-- Connections whose config has a DSN or headers (that may hold a secret stored before it was moved).
SELECT id, config, credential_id FROM syncplane.connections WHERE config ? 'dsn' OR config ? 'headers';

-- name: set_connection_config
-- Replaces a connection's config, only if it still holds what was read.
UPDATE syncplane.connections SET config = $2, updated_at = now() WHERE id = $1 AND config = $3 RETURNING id;

-- name: syncs_with_destination_dsn
-- Syncs whose destination is given as a DSN.
SELECT id, destination_config, credential_id FROM syncplane.syncs WHERE destination_config ? 'dsn';

-- name: set_sync_destination
-- Replaces a sync's destination config and its credential, only if the config still holds what was read.
UPDATE syncplane.syncs SET destination_config = $2, credential_id = $3, updated_at = now()
WHERE id = $1 AND destination_config = $4 RETURNING id;

-- name: connected_systems_with_settings
-- Connected systems with a string setting that may be a DSN.
SELECT id, settings, credential_id FROM syncplane.idm_connected_systems
WHERE EXISTS (SELECT 1 FROM jsonb_each(settings) AS s(k, v) WHERE jsonb_typeof(v) = 'string');

-- name: set_connected_system_settings
-- Replaces a connected system's settings, only if they still hold what was read.
UPDATE syncplane.idm_connected_systems SET settings = $2 WHERE id = $1 AND settings = $3 RETURNING id;
