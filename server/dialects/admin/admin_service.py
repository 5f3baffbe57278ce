"""AdminService: API keys and executor tokens."""

from __future__ import annotations

import uuid

import grpc

from syncplane.admin.v1 import service_pb2 as pb
from syncplane.admin.v1 import service_pb2_grpc
from syncplane.server.auth.keys import ROLES, KeyStore
from syncplane.server.db import auth as db
from syncplane.server.db.auth_models import ApiKey, ExecutorToken
from syncplane.server.dialects.common import not_found, path_uuid
from syncplane.server.dialects.syncs.convert import ts
from syncplane.server.dialects.validation import Checker
from syncplane.server.grpc_errors import grpc_method


def _key(row: ApiKey) -> pb.ApiKey:
    msg = pb.ApiKey(id=str(row.id), name=row.name, role=row.role, prefix=row.prefix, created_at=ts(row.created_at))
    if row.revoked_at is not None:
        msg.revoked_at.CopyFrom(ts(row.revoked_at))
    return msg


def _token(row: ExecutorToken) -> pb.ExecutorToken:
    msg = pb.ExecutorToken(id=str(row.id), name=row.name, created_at=ts(row.created_at))
    if row.revoked_at is not None:
        msg.revoked_at.CopyFrom(ts(row.revoked_at))
    return msg


class AdminService(service_pb2_grpc.AdminServiceServicer):
    def __init__(self, keys: KeyStore) -> None:
        self._keys = keys

    @grpc_method
    async def CreateApiKey(self, request: pb.CreateApiKeyRequest, context: grpc.aio.ServicerContext) -> pb.CreateApiKeyResponse:
        c = Checker()
        if c.required("name", request.name, empty_is_missing=True):
            c.length("name", request.name, 1, 255)
        c.choice("role", request.role, ROLES)
        c.raise_if_any()
        row, secret = await self._keys.create_api_key(request.name, request.role)
        return pb.CreateApiKeyResponse(api_key=_key(row), secret=secret)

    @grpc_method
    async def ListApiKeys(self, request: pb.ListApiKeysRequest, context: grpc.aio.ServicerContext) -> pb.ListApiKeysResponse:
        return pb.ListApiKeysResponse(api_keys=[_key(r) for r in await db.list_api_keys(self._keys.pool)])

    @grpc_method
    async def RevokeApiKey(self, request: pb.RevokeApiKeyRequest, context: grpc.aio.ServicerContext) -> pb.RevokeApiKeyResponse:
        key_id: uuid.UUID = path_uuid("id", request.id, "api key")
        # The revoking statement NOTIFYs every replica: caches drop the key, its open streams end.
        if not await self._keys.revoke_api_key(key_id):
            raise not_found("api key", key_id)
        return pb.RevokeApiKeyResponse()

    @grpc_method
    async def CreateExecutorToken(self, request: pb.CreateExecutorTokenRequest, context: grpc.aio.ServicerContext) -> pb.CreateExecutorTokenResponse:
        c = Checker()
        if c.required("name", request.name, empty_is_missing=True):
            c.length("name", request.name, 1, 255)
        c.raise_if_any()
        token_id, secret = await self._keys.create_executor_token(request.name)
        return pb.CreateExecutorTokenResponse(id=token_id, token=secret)

    @grpc_method
    async def ListExecutorTokens(self, request: pb.ListExecutorTokensRequest, context: grpc.aio.ServicerContext) -> pb.ListExecutorTokensResponse:
        rows = await db.list_executor_tokens(self._keys.pool)
        return pb.ListExecutorTokensResponse(executor_tokens=[_token(r) for r in rows])

    @grpc_method
    async def RevokeExecutorToken(self, request: pb.RevokeExecutorTokenRequest, context: grpc.aio.ServicerContext) -> pb.RevokeExecutorTokenResponse:
        token_id: uuid.UUID = path_uuid("id", request.id, "executor token")
        if not await self._keys.revoke_executor_token(token_id):
            raise not_found("executor token", token_id)
        return pb.RevokeExecutorTokenResponse()
