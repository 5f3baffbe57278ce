"""The identity dialect's executor side: connectors, connector space, metaverse, sync rules, export.

Entry point: `executor.connectors.identity.run`; see docs/identity.md.
"""
