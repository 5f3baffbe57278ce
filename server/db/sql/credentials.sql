-- name: insert_credential
-- Stores sealed write-only secrets (and their names).
INSERT INTO syncplane.credentials (id, names, key_id, sealed) VALUES ($1, $2, $3, $4) RETURNING id;

-- name: update_credential
-- Replaces the sealed secrets of a credential.
UPDATE syncplane.credentials
SET names = $2, key_id = $3, sealed = $4, secrets = '{}'::jsonb, updated_at = now()
WHERE id = $1;

-- name: lock_credential
-- A credential's stored form, locked for a read-modify-write.
SELECT id, secrets, key_id, sealed FROM syncplane.credentials WHERE id = $1 FOR UPDATE;

-- name: secret_keys
-- The names (never the values) of a credential's secrets.
SELECT names FROM syncplane.credentials WHERE id = $1;

-- name: delete_credential
-- Removes secrets no longer referenced.
DELETE FROM syncplane.credentials WHERE id = $1;

-- name: not_under_key
-- A batch of credentials not sealed under key $1 (clear ones included), by id after $2.
SELECT id, secrets, key_id, sealed FROM syncplane.credentials
WHERE key_id IS DISTINCT FROM $1 AND id > $2
ORDER BY id
LIMIT $3;

-- name: clear_rows
-- A batch of credentials still stored clear (written before sealing).
SELECT id, secrets FROM syncplane.credentials WHERE key_id IS NULL ORDER BY id LIMIT $1;

-- name: count_not_under_key
-- How many credentials are not sealed under key $1.
SELECT count(*) FROM syncplane.credentials WHERE key_id IS DISTINCT FROM $1;

-- name: reseal
-- Seals one credential anew, only if it still holds what was read ($5-$7):
-- a concurrent write wins, and the next pass looks at the row again.
UPDATE syncplane.credentials
SET key_id = $2, sealed = $3, names = $4, secrets = '{}'::jsonb
WHERE id = $1 AND key_id IS NOT DISTINCT FROM $5 AND sealed IS NOT DISTINCT FROM $6 AND secrets = $7
RETURNING id;
