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

-- name: revoke_api_key
-- Revokes a key.
UPDATE syncplane.api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id;

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
