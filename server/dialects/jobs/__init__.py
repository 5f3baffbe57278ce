"""The sync-jobs dialect (seed 003): see docs/jobs.md."""
