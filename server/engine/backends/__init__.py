"""Execution backends: where claimed attempts run (see base.py)."""
