"""The run engine: one lifecycle for every dialect's runs."""
