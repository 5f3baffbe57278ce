-- Secrets sealed at rest. A credential's secrets are stored as one AES-256-GCM
-- ciphertext (`sealed`, nonce || ciphertext, bound to the row's id) under the
-- key named by `key_id`; only their names stay readable (`names`), for the
-- "which secrets are set" answers of the APIs. The key is the server's
-- (SYNCPLANE_SECRET_KEY or the data dir's key file), never the database's, so
-- SQL cannot seal: rows from before this migration keep their clear `secrets`
-- (key_id NULL) until the first server start seals them and empties `secrets`.
ALTER TABLE syncplane.credentials
    ADD COLUMN names   text[] NOT NULL DEFAULT '{}',
    ADD COLUMN key_id  text,
    ADD COLUMN sealed  bytea,
    ADD CONSTRAINT credentials_sealed_or_clear CHECK (
        (key_id IS NULL AND sealed IS NULL) OR (key_id IS NOT NULL AND sealed IS NOT NULL AND secrets = '{}'::jsonb)
    );
UPDATE syncplane.credentials
SET names = coalesce((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(secrets) AS k), '{}');
-- Rotation looks for rows not under the newest key.
CREATE INDEX credentials_key_id_idx ON syncplane.credentials (key_id);
