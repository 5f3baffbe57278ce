"""Run profiles and their execution (seeds 000-002)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import structlog

from syncplane.identity.v1 import messages_pb2 as mpb
from syncplane.identity.v1 import service_pb2 as pb
from syncplane.server.db import identity as db
from syncplane.server.db.identity_models import ConnectedSystemView, RunProfile
from syncplane.server.dialects.identity import convert, plans
from syncplane.server.dialects.identity.base import Resource, found, initiated_by
from syncplane.server.dialects.identity.connected_systems import check_runnable
from syncplane.server.dialects.identity.rules import (
    FILE_PATH_MAX,
    NAME_MAX,
    PAGE_SIZE_DEFAULT,
    PAGE_SIZE_MAX,
    PAGE_SIZE_MIN,
    RUN_TYPES,
    SYNC_TYPES,
    Rules,
    supports,
)
from syncplane.server.dialects.identity.settings import IdentitySettings
from syncplane.server.errors import FailedPrecondition, NotFound
from syncplane.server.grpc_errors import grpc_method
from syncplane.server.observability import run_context

log = structlog.get_logger(__name__)


def queued_message(name: str) -> str:
    return f"Run Profile '{name}' has been queued for execution."


def _opt(request: object, field: str) -> object | None:
    return getattr(request, field) if request.HasField(field) else None  # type: ignore[attr-defined]  # protobuf's HasField wants a Literal field name


def _check_fields(rules: Rules, request: pb.CreateRunProfileRequest | pb.UpdateRunProfileRequest, creating: bool) -> None:
    name = _opt(request, "name")
    if creating or name is not None:
        if rules.required("name", name):
            rules.length("name", str(name), 1, NAME_MAX)
    run_type = _opt(request, "run_type")
    if creating:
        if rules.required("runType", run_type):
            rules.choice("runType", str(run_type), RUN_TYPES)
    rules.int_range("pageSize", _opt(request, "page_size"), PAGE_SIZE_MIN, PAGE_SIZE_MAX)  # type: ignore[arg-type]  # _opt returns object: the field's type varies
    rules.length("filePath", _opt(request, "file_path"), 0, FILE_PATH_MAX)  # type: ignore[arg-type]  # _opt returns object: the field's type varies


def _unsupported(cs: ConnectedSystemView, run_type: str) -> str:
    return f"The {cs.connector_name} connector does not support the {run_type} run type."


class RunProfiles(Resource):
    """Run profiles of a connected system, and executing one (an activity and its engine run)."""

    @grpc_method
    async def ListRunProfiles(self, request: pb.ListRunProfilesRequest, context: grpc.aio.ServicerContext) -> pb.ListRunProfilesResponse:
        await self._connected_system(request.connected_system_id)
        rows = await db.list_run_profiles(self._pool, request.connected_system_id)
        return pb.ListRunProfilesResponse(items=[convert.run_profile(r) for r in rows])

    @grpc_method
    async def CreateRunProfile(self, request: pb.CreateRunProfileRequest, context: grpc.aio.ServicerContext) -> mpb.RunProfile:
        rules = Rules()
        _check_fields(rules, request, creating=True)
        rules.raise_if_any()
        cs = await self._connected_system(request.connected_system_id)
        if not supports(cs, request.run_type):
            rules.add("runType", _unsupported(cs, request.run_type), "not_supported")
        partition_id = await self._partition_id(rules, cs.id, request)
        rules.raise_if_any()
        rp_id = await db.insert_run_profile(
            self._pool, cs.id, request.name, request.run_type,
            request.page_size if request.HasField("page_size") else PAGE_SIZE_DEFAULT, partition_id,
            request.file_path if request.HasField("file_path") and request.file_path else None,
        )
        log.info("identity.run_profile_created", connected_system_id=cs.id, run_profile_id=rp_id, run_type=request.run_type)
        return await self._run_profile_message(cs.id, rp_id)

    @grpc_method
    async def UpdateRunProfile(self, request: pb.UpdateRunProfileRequest, context: grpc.aio.ServicerContext) -> mpb.RunProfile:
        rules = Rules()
        _check_fields(rules, request, creating=False)
        rules.raise_if_any()
        cs = await self._connected_system(request.connected_system_id)
        rp = await self._run_profile(cs.id, request.run_profile_id)
        if request.HasField("run_type") and request.run_type != rp.run_type:
            rules.add("runType", "The run type of a run profile cannot be changed; create another run profile.",
                      "immutable")
        partition_id = await self._partition_id(rules, cs.id, request)
        rules.raise_if_any()
        file_path = rp.file_path
        if request.HasField("file_path"):
            file_path = request.file_path or None  # "" removes it
        await db.update_run_profile(
            self._pool, cs.id, rp.id, request.name if request.HasField("name") else rp.name,
            request.page_size if request.HasField("page_size") else rp.page_size,
            partition_id if request.HasField("partition_id") else rp.partition_id, file_path,
        )
        return await self._run_profile_message(cs.id, rp.id)

    @grpc_method
    async def DeleteRunProfile(self, request: pb.DeleteRunProfileRequest, context: grpc.aio.ServicerContext) -> pb.DeleteRunProfileResponse:
        await self._connected_system(request.connected_system_id)
        if not await db.delete_run_profile(self._pool, request.connected_system_id, request.run_profile_id):
            raise NotFound(f"Run profile with ID {request.run_profile_id} not found.")
        return pb.DeleteRunProfileResponse()

    @grpc_method
    async def ExecuteRunProfile(self, request: pb.ExecuteRunProfileRequest, context: grpc.aio.ServicerContext) -> pb.ExecuteRunProfileResponse:
        cs = await self._connected_system(request.connected_system_id)
        rp = await self._run_profile(cs.id, request.run_profile_id)
        execution = await prepare_execution(self._pool, self._settings, cs, rp)
        by_type, by_id, by_name = initiated_by()
        async with self._pool.acquire() as conn, conn.transaction():
            # Holding the system's row orders this queueing with a delete or a schema import's busy check.
            if await db.lock_connected_system(conn, cs.id) is None:
                raise NotFound(f"Connected system with ID {cs.id} not found.")
            run = await self._engine.queue(plans.new_run(execution.activity_id, cs, execution.spec, by_name), conn)
            await db.insert_activity(conn, execution.activity_id, run.id,
                                     activity_values(cs, rp, execution, (by_type, by_id, by_name)))
        with run_context.bound(run):
            log.info("identity.run_profile_executed", activity_id=str(execution.activity_id), task_id=str(run.id),
                     connected_system_id=cs.id, run_profile_id=rp.id, run_type=rp.run_type,
                     warnings=len(execution.warnings))
        return pb.ExecuteRunProfileResponse(
            activity_id=str(execution.activity_id), task_id=str(run.id), message=execution.message,
            warnings=execution.warnings,
        )

    # -- helpers ---------------------------------------------------------------------
    async def _run_profile(self, cs_id: int, rp_id: int) -> RunProfile:
        return found(await db.get_run_profile(self._pool, cs_id, rp_id), "Run profile", rp_id)

    async def _run_profile_message(self, cs_id: int, rp_id: int) -> mpb.RunProfile:
        return convert.run_profile(await self._run_profile(cs_id, rp_id))

    async def _partition_id(
        self, rules: Rules, cs_id: int, request: pb.CreateRunProfileRequest | pb.UpdateRunProfileRequest
    ) -> int | None:
        if not request.HasField("partition_id"):
            return None
        if await db.get_partition(self._pool, cs_id, request.partition_id) is None:
            rules.add("partitionId", f"Partition with ID {request.partition_id} not found", "not_found")
            return None
        return request.partition_id


@dataclass(frozen=True)
class Execution:
    """A run profile's execution, checked and planned, not yet queued."""

    activity_id: uuid.UUID
    spec: dict[str, Any]
    warnings: list[str]
    message: str


async def prepare_execution(
    db_: asyncpg.Connection | asyncpg.Pool, settings: IdentitySettings, cs: ConnectedSystemView, rp: RunProfile
) -> Execution:
    """The reference's checks on execute (FailedPrecondition when refused) and the plan.

    Shared by ExecuteRunProfile and a schedule's step when it is released."""
    await check_runnable(db_, cs)
    if not supports(cs, rp.run_type):
        raise FailedPrecondition(_unsupported(cs, rp.run_type))
    warnings = await partition_checks(db_, settings, cs, rp)
    check_file_path(settings, cs, rp)
    partition = await db.get_partition(db_, cs.id, rp.partition_id) if rp.partition_id else None
    activity_id = uuid.uuid4()
    spec = await plans.build_plan(
        db_, activity_id, cs, rp.run_type, page_size=rp.page_size, partition=partition,
        file_path=rp.file_path, file_roots=settings.file_roots,
    )
    return Execution(activity_id, spec, warnings, queued_message(rp.name))


def activity_values(
    cs: ConnectedSystemView, rp: RunProfile, execution: Execution, by: tuple[str, str | None, str | None]
) -> dict[str, Any]:
    """The activity row of an execution."""
    return {
        "target_type": "ConnectedSystemRunProfile", "target_operation_type": "Execute",
        "target_name": rp.name, "target_context": cs.name, "connected_system_id": cs.id,
        "run_profile_id": rp.id, "run_type": rp.run_type, "initiated_by_type": by[0],
        "initiated_by_id": by[1], "initiated_by_name": by[2], "warnings": execution.warnings,
        "message": execution.message,
    }


async def partition_checks(
    db_: asyncpg.Connection | asyncpg.Pool, settings: IdentitySettings, cs: ConnectedSystemView, rp: RunProfile
) -> list[str]:
    """The reference's partition rules on execute; returns the warnings to report."""
    if rp.partition_id is not None and not rp.partition_selected:
        raise FailedPrecondition(
            f"Run profile '{rp.name}' targets partition '{rp.partition_name}', which is no longer "
            "selected; select it again or change the run profile."
        )
    if not cs.supports_partitions or rp.run_type in SYNC_TYPES:
        return []
    partitions = await db.list_partitions(db_, cs.id)
    if any(p.selected for p in partitions):
        return []
    text = (f"Connected system '{cs.name}' supports partitions but has none selected"
            + ("" if partitions else " (import its schema to discover them)") + ".")
    if settings.partition_check == "warning":
        return [text]
    raise FailedPrecondition(text)


def check_file_path(settings: IdentitySettings, cs: ConnectedSystemView, rp: RunProfile) -> None:
    """A file connector's import or export needs a file, inside the file roots when those are set."""
    if not cs.supports_file_paths or rp.run_type in SYNC_TYPES:
        return
    path = rp.file_path or cs.settings.get("filePath")
    if not path:
        raise FailedPrecondition(
            f"Run profile '{rp.name}' has no file path and connected system '{cs.name}' has no "
            "filePath setting; set one of them."
        )
    roots = settings.file_roots
    if roots and not any(Path(path).resolve().is_relative_to(root) for root in roots):
        raise FailedPrecondition(f"File path '{path}' is outside the service's file roots ({', '.join(roots)}).")
