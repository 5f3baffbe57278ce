"""Benchmarks (not installed). Their sources, fake APIs and embedded PostgreSQL all
listen on loopback, which the egress policy refuses unless allowed: a bench allows
it explicitly here, as the test suite does in tests/conftest.py."""

import os

os.environ.setdefault("SYNCPLANE_EGRESS_ALLOW", "127.0.0.0/8,::1,localhost")
