"""The db layer's domain objects: built from real rows, carrying exactly their declared columns."""

from __future__ import annotations

import dataclasses
import uuid

import asyncpg
import pytest

from syncplane.server.db import auth as auth_db
from syncplane.server.db import identity as identity_db
from syncplane.server.db import identity_schedules as schedules_db
from syncplane.server.db import jobs as jobs_db
from syncplane.server.db import jobs_runs
from syncplane.server.db import syncs as syncs_db
from syncplane.server.db.auth_models import ApiKey, ExecutorToken
from syncplane.server.db.identity_models import (
    Activity,
    ActivityDetail,
    ActivityView,
    ConnectedSystem,
    ConnectedSystemHeader,
    ConnectedSystemView,
    ConnectorDefinition,
    RunProfile,
    Schedule,
    ScheduleStep,
    ScheduleView,
)
from syncplane.server.db.identity_schedules import ScheduleFields, StepFields
from syncplane.server.db.jobs_models import CronTrigger, Daemon, IntegratedAccount, Integration, SyncJob, Webhook
from syncplane.server.db.sync_models import Connection, Deleted, Sync


async def test_a_connection_and_a_sync_cross_as_frozen_objects(pool: asyncpg.Pool) -> None:
    credential = await syncs_db.insert_credential(pool, {"password": "s3cret"})
    connection = await syncs_db.insert_connection(pool, "shop", "postgres", {"dsn": "postgresql://h/db"}, credential, "t")
    assert isinstance(connection, Connection)
    assert connection.name == "shop" and connection.config == {"dsn": "postgresql://h/db"}
    # Nothing the table does not hold, and no secret: the credential is only referenced.
    assert "s3cret" not in repr(connection)
    with pytest.raises(dataclasses.FrozenInstanceError):
        connection.name = "other"  # type: ignore[misc]  # the point of the test

    values = {
        "name": "orders", "slug": None, "entities": ["public.orders"], "source_config": {},
        "destination_config": {}, "execution_backend": "native", "execution_config": {},
        "execution_mode": "sequential", "status": "active", "trigger_mode": "manual", "schedule": None,
        "freshness_sla_seconds": 60, "table_bindings": [], "credential_id": None,
    }
    sync = await syncs_db.insert_sync(pool, connection.id, "postgres", values, "t")
    assert isinstance(sync, Sync) and sync.connection_id == connection.id
    listed, total = await syncs_db.list_syncs(pool, [], [], None, 10, 0)
    assert total == 1 and listed == [sync]
    # Attributes only (no Record-style reads), and a query's helper column does not leak.
    assert listed[0].freshness_sla_seconds == 60 and not hasattr(listed[0], "total_count")
    with pytest.raises(TypeError):
        listed[0]["freshness_sla_seconds"]  # type: ignore[index]  # the point of the test

    assert await syncs_db.delete_sync(pool, sync.id) == Deleted(None)
    assert await syncs_db.delete_sync(pool, sync.id) is None
    assert await syncs_db.delete_connection(pool, connection.id) == Deleted(credential)


async def test_an_unknown_job_run_is_none(pool: asyncpg.Pool) -> None:
    assert await jobs_runs.get_run(pool, uuid.uuid4()) is None


async def test_identity_rows_cross_as_frozen_objects_with_their_query_s_columns(pool: asyncpg.Pool) -> None:
    definitions = await identity_db.list_connector_definitions(pool)
    sql = next(d for d in definitions if d.connector == "sql")
    assert isinstance(sql, ConnectorDefinition) and sql.supports_full_import
    assert await identity_db.get_connector_definition(pool, sql.id) == sql

    credential = await syncs_db.insert_credential(pool, {"password": "s3cret"})
    cs_id = await identity_db.insert_connected_system(pool, "HR", None, sql.id, {"table": "people"}, credential)
    cs = await identity_db.get_connected_system(pool, cs_id)
    # The view carries its definition's name and capabilities; the definition's settings under their own name.
    assert isinstance(cs, ConnectedSystemView)
    assert (cs.name, cs.connector, cs.connector_name, cs.settings) == ("HR", "sql", sql.name, {"table": "people"})
    assert cs.setting_definitions == sql.settings and cs.supports_full_import == sql.supports_full_import
    assert "s3cret" not in repr(cs)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cs.name = "other"  # type: ignore[misc]  # the point of the test
    headers, total = await identity_db.list_connected_systems(pool, None, "name", "asc", 10, 0)
    assert total == 1 and headers == [ConnectedSystemHeader(
        id=cs_id, name="HR", description=None, created_at=cs.created_at, status="Active", object_count=0,
        pending_export_count=0, connector_name=sql.name, connector_id=sql.id,
    )]
    async with pool.acquire() as conn, conn.transaction():
        locked = await identity_db.lock_connected_system(conn, cs_id)
    # The lock reads the table only: no definition columns.
    assert type(locked) is ConnectedSystem and not hasattr(locked, "connector_name")

    rp_id = await identity_db.insert_run_profile(pool, cs_id, "Full", "FullImport", 50, None, None)
    rp = await identity_db.get_run_profile(pool, cs_id, rp_id)
    assert isinstance(rp, RunProfile) and (rp.page_size, rp.partition_id, rp.partition_name) == (50, None, None)
    assert await identity_db.list_run_profiles(pool, cs_id) == [rp]

    activity_id = uuid.uuid4()
    await identity_db.insert_activity(pool, activity_id, uuid.uuid4(), {
        "target_type": "ConnectedSystem", "target_operation_type": "FullImport", "target_name": "Full",
        "target_context": "HR", "connected_system_id": cs_id, "run_profile_id": rp_id, "run_type": "FullImport",
        "initiated_by_type": "System", "initiated_by_id": None, "initiated_by_name": None, "warnings": ["w"],
        "message": "queued",
    })
    detail = await identity_db.get_activity(pool, activity_id)
    # No attempt yet: the latest attempt's fields are there, and None.
    assert isinstance(detail, ActivityDetail) and detail.warnings == ["w"]
    assert (detail.run_id, detail.run_status, detail.first_started_at, detail.run_progress) == (None, None, None, None)
    filters = {"statuses": [], "cs_id": cs_id, "cs_name": None, "rp_id": None, "rp_name": None,
               "created_from": None, "created_to": None, "search": None}
    listed, count = await identity_db.list_activities(pool, filters, "created", "desc", 10, 0)
    # The list's row is the view without the latest attempt's columns.
    assert count == 1 and type(listed[0]) is ActivityView and not hasattr(listed[0], "run_status")
    assert listed[0].id == activity_id and listed[0].message == "queued"
    async with pool.acquire() as conn, conn.transaction():
        locked_activity = await identity_db.lock_activity(conn, activity_id)
    assert type(locked_activity) is Activity and locked_activity.status == "InProgress"


async def test_an_identity_schedule_and_its_steps_cross_as_objects(pool: asyncpg.Pool) -> None:
    sql = next(d for d in await identity_db.list_connector_definitions(pool) if d.connector == "sql")
    credential = await syncs_db.insert_credential(pool, {})
    cs_id = await identity_db.insert_connected_system(pool, "HR", None, sql.id, {}, credential)
    rp_id = await identity_db.insert_run_profile(pool, cs_id, "Full", "FullImport", 100, None, None)
    schedule_id, step_id = uuid.uuid4(), uuid.uuid4()
    fields = ScheduleFields(
        name="nightly", description=None, trigger_type="Manual", cron_expression=None, time_zone="UTC",
        pattern_type=None, days_of_week=None, run_times=None, interval_value=None, interval_unit=None,
        interval_window_start=None, interval_window_end=None, is_enabled=False, on_step_failure="Stop",
    )
    async with pool.acquire() as conn, conn.transaction():
        await schedules_db.insert_schedule(conn, schedule_id, fields)
        await schedules_db.replace_schedule_steps(conn, schedule_id, [StepFields(
            id=step_id, step_index=0, name=None, execution_mode="Sequential", on_failure="FollowSchedule",
            timeout_seconds=None, connected_system_id=cs_id, run_profile_id=rp_id,
        )])
        locked = await schedules_db.lock_schedule(conn, schedule_id)
    assert type(locked) is Schedule and locked.name == "nightly"

    view = await schedules_db.get_schedule(pool, schedule_id)
    assert isinstance(view, ScheduleView) and view.step_count == 1
    # Never run: its latest execution's fields are None, its failed groups empty.
    assert (view.last_graph_id, view.next_fire_at, view.last_failed_groups) == (None, None, [])
    listed, total = await schedules_db.list_schedules(pool, None, "name", "asc", 10, 0)
    assert total == 1 and listed == [view]
    (step,) = await schedules_db.schedule_steps(pool, schedule_id)
    assert isinstance(step, ScheduleStep)
    assert (step.id, step.connected_system_name, step.run_profile_name, step.step_type) == (
        step_id, "HR", "Full", "RunProfile")
    assert await schedules_db.get_execution(pool, uuid.uuid4()) is None
    assert await schedules_db.list_executions(pool, schedule_id, "queuedAt", "desc", 10, 0) == ([], 0)


async def test_jobs_rows_cross_as_frozen_objects(pool: asyncpg.Pool) -> None:
    integration = await jobs_db.insert_integration(pool, {
        "name": "crm", "label": "CRM", "base_url": "https://crm.example", "auth": {"type": "none"}, "resources": {},
    })
    assert isinstance(integration, Integration) and integration.base_url == "https://crm.example"
    assert await jobs_db.get_integration_by_name(pool, "crm") == integration
    environment = uuid.uuid4()
    credential = await syncs_db.insert_credential(pool, {"token": "t0ps3cret"})
    account = await jobs_db.insert_account(pool, {
        "integration_name": "crm", "context": {"region": "eu"}, "tenant_id": None, "environment_id": environment,
        "has_credentials": True,
    }, credential)
    assert isinstance(account, IntegratedAccount) and "t0ps3cret" not in repr(account)
    assert await jobs_db.get_row(pool, IntegratedAccount, account.id) == account
    assert await jobs_db.list_rows(pool, IntegratedAccount, (None, None), 10, None, environment) == [account]
    webhook = await jobs_db.insert_webhook(pool, {
        "target_url": "https://hooks.example/in", "event_types": ["sync_job_run:failed"], "is_active": True,
        "environment_id": environment,
    }, await syncs_db.insert_credential(pool, {"secret": "whsec"}))
    assert isinstance(webhook, Webhook) and webhook.event_types == ["sync_job_run:failed"]
    job = await jobs_db.insert_sync_job(pool, {
        "integration_name": "crm", "label": "Contacts", "args_schema": None, "resources": [{"name": "contacts"}],
        "environment_id": environment, "mutex_key": None,
    })
    assert isinstance(job, SyncJob) and job.resources == [{"name": "contacts"}]

    trigger_id = await jobs_db.insert_cron_trigger(pool, {
        "sync_job_id": job.id, "integrated_account_id": account.id, "args": {}, "cron_expression": "0 * * * *",
        "daemon_group_key": None, "webhook_id": webhook.id, "error_handling": "fail_fast",
        "ignore_previous_run": False,
    })
    trigger = await jobs_db.get_row(pool, CronTrigger, trigger_id)
    # No schedule row was written here: its times are there, and None.
    assert isinstance(trigger, CronTrigger) and (trigger.next_run_at, trigger.last_run_at) == (None, None)
    daemon = await jobs_db.get_row(pool, Daemon, await jobs_db.insert_daemon(pool, "d1", "group-a"))
    assert isinstance(daemon, Daemon) and (daemon.group_key, daemon.connected) == ("group-a", None)

    assert await jobs_db.delete_row(pool, CronTrigger, trigger_id)
    assert not await jobs_db.delete_row(pool, CronTrigger, trigger_id)
    assert await jobs_db.get_row(pool, CronTrigger, trigger_id) is None


async def test_api_keys_and_executor_tokens_cross_without_their_hash(pool: asyncpg.Pool) -> None:
    key = await auth_db.insert_api_key(pool, "ci", "viewer", "spk_abc", b"\x01" * 32)
    assert isinstance(key, ApiKey) and (key.name, key.role, key.prefix, key.revoked_at) == ("ci", "viewer", "spk_abc", None)
    assert not hasattr(key, "key_hash") and await auth_db.list_api_keys(pool) == [key]
    token_id = await auth_db.insert_executor_token(pool, "exec-1", b"\x02" * 32)
    (token,) = await auth_db.list_executor_tokens(pool)
    assert isinstance(token, ExecutorToken) and token.id == token_id and not hasattr(token, "token_hash")
