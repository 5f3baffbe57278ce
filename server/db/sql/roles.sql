-- Provisioning of the embedded PostgreSQL's two planes (server/db/provision.py).
-- Utility statements take no parameters: each DDL is built here with format()
-- (%I quotes identifiers, %L literals) and then executed as returned.

-- name: role_exists
-- Whether a role of this name exists.
SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1);

-- name: create_role_ddl
-- A login role with no privileges beyond logging in.
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L', $1::text, $2::text);

-- name: alter_role_ddl
-- The same role, reset to no privileges and the password of the data dir's file.
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L', $1::text, $2::text);

-- name: set_password_ddl
-- The superuser's password (its attributes stay).
SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text);

-- name: database_owner
-- The owner of a database, NULL when it does not exist.
SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1;

-- name: create_database_ddl
-- A database owned by a role.
SELECT format('CREATE DATABASE %I OWNER %I', $1::text, $2::text);

-- name: database_owner_ddl
-- Hands a database to a role.
SELECT format('ALTER DATABASE %I OWNER TO %I', $1::text, $2::text);

-- name: revoke_public_ddl
-- Nobody but the owner (and superusers) may connect to or make temp tables in a database.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', $1::text);

-- name: schema_owner_ddl
-- ALTER ... OWNER statements for a schema and everything in it that a role
-- does not own yet (sequences owned by a column follow their table).
SELECT format('ALTER SCHEMA %I OWNER TO %I', n.nspname, $2::text)
FROM pg_namespace n WHERE n.nspname = $1 AND pg_get_userbyid(n.nspowner) <> $2
UNION ALL
SELECT format('ALTER TABLE %I.%I OWNER TO %I', n.nspname, c.relname, $2::text)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND pg_get_userbyid(c.relowner) <> $2
UNION ALL
SELECT format('ALTER SEQUENCE %I.%I OWNER TO %I', n.nspname, c.relname, $2::text)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> $2
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
UNION ALL
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, $2::text)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = $1 AND pg_get_userbyid(p.proowner) <> $2
UNION ALL
SELECT format('ALTER TYPE %I.%I OWNER TO %I', n.nspname, t.typname, $2::text)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = $1 AND t.typtype IN ('e', 'd', 'r', 'm') AND pg_get_userbyid(t.typowner) <> $2;

-- name: user_schemas
-- Schemas of a database that hold users' data: not the control plane's, not the system's.
-- `public` counts only when something lives in it.
SELECT n.nspname FROM pg_namespace n
WHERE n.nspname <> ALL ($1::text[]) AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
  AND (n.nspname <> 'public' OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid))
ORDER BY n.nspname;

-- name: drop_schema_ddl
-- Drops a schema that was moved to the data store.
SELECT format('DROP SCHEMA %I CASCADE', $1::text);

-- name: set_scram
-- Passwords are stored as SCRAM verifiers from now on, for this session and the server.
ALTER SYSTEM SET password_encryption = 'scram-sha-256';

-- name: reload
-- Re-reads postgresql.auto.conf and pg_hba.conf.
SELECT pg_reload_conf();

-- name: hba_errors
-- Lines of pg_hba.conf the server could not parse (checked before reloading).
SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL;

-- name: current_role_is_superuser
-- This session's role if it is a superuser (a warning at server start), else no row.
SELECT rolname FROM pg_roles WHERE rolname = current_user AND rolsuper;
