-- The console (/ui) lists every dialect's runs newest first, one row per run chain (its latest
-- attempt), a page at a time after (created_at, id): this index answers a page without a sort.
-- Its columns never change on a progress write, so those updates stay HOT.
CREATE INDEX runs_console_list_idx ON syncplane.runs (created_at DESC, id DESC) WHERE next_attempt_run_id IS NULL;
