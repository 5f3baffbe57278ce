"""Authentication: API keys with roles, executor tokens, the gRPC interceptor."""
