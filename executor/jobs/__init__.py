"""The executor side of sync jobs (issue 5): the plan, placeholders, the resource graph,
requests through an integration's description, the data store and webhook delivery.

The connector that drives them is `executor.connectors.sync_job`; the contract with
the server side is docs/jobs.md.
"""
