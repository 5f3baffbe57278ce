-- name: insert_api_key
-- Stores a new API key (its hash only).
INSERT INTO syncplane.api_keys (id, name, role, prefix, key_hash)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: find_api_key
-- The live key with this hash.
SELECT id, name, role FROM syncplane.api_keys WHERE key_hash = $1 AND revoked_at IS NULL;

-- name: list_api_keys
-- Every key, newest first.
SELECT * FROM syncplane.api_keys ORDER BY created_at DESC;

-- name: find_api_key_any
-- The key with this hash, revoked or not (bootstrap must not re-insert a revoked key).
SELECT id, name, role, revoked_at FROM syncplane.api_keys WHERE key_hash = $1;

-- name: revoke_api_key
-- Revokes a key and tells every replica in the same statement, so no replica
-- keeps trusting it from its cache (payload: 'k' + the hash in hex).
WITH upd AS (
    UPDATE syncplane.api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
    RETURNING id, key_hash
)
SELECT upd.id, pg_notify('syncplane_keys_revoked', 'k' || encode(upd.key_hash, 'hex')) AS notified FROM upd;

-- name: count_admin_keys
-- How many live administrator keys exist (bootstrap creates one if none).
SELECT count(*) FROM syncplane.api_keys WHERE role = 'administrator' AND revoked_at IS NULL;

-- name: insert_executor_token
-- Stores a new executor token (its hash only).
INSERT INTO syncplane.executor_tokens (id, name, token_hash) VALUES ($1, $2, $3)
ON CONFLICT (token_hash) DO NOTHING
RETURNING id;

-- name: find_executor_token
-- The live executor token with this hash.
SELECT id, name FROM syncplane.executor_tokens WHERE token_hash = $1 AND revoked_at IS NULL;

-- name: list_executor_tokens
-- Every executor token, newest first (never its hash).
SELECT id, name, created_at, revoked_at FROM syncplane.executor_tokens ORDER BY created_at DESC, id;

-- name: revoke_executor_token
-- Revokes an executor token and tells every replica (payload: 'x' + the hash in hex).
WITH upd AS (
    UPDATE syncplane.executor_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
    RETURNING id, token_hash
)
SELECT upd.id, pg_notify('syncplane_keys_revoked', 'x' || encode(upd.token_hash, 'hex')) AS notified FROM upd;

-- name: revoked_since
-- The polling fallback for a lost NOTIFY: everything revoked at or after $1
-- (same payload form as the notification), and the database's clock for the next poll.
SELECT now() AS polled_at, ARRAY(
    SELECT 'k' || encode(key_hash, 'hex') FROM syncplane.api_keys WHERE revoked_at >= $1
    UNION ALL
    SELECT 'x' || encode(token_hash, 'hex') FROM syncplane.executor_tokens WHERE revoked_at >= $1
) AS revoked;

-- name: database_now
-- The database's clock (where the revocation poll starts).
SELECT now();
