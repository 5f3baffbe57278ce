"""Fixtures shared by the unit tests, registered here so test modules name them without importing them."""

from tests.unit.gateway_support import gateway_stack, gw

__all__ = ["gateway_stack", "gw"]
