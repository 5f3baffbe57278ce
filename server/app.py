"""Wires one server process: database, engine, gRPC services, gateway.

Background parts (dispatcher, sweeper, progress writer, health probe) run as
named tasks under one supervisor (server/supervisor.py): if one dies the
server stops instead of limping on without, say, its sweeper. This module is
the only place the engine's parts are joined: the session registry, the
execution backends, the dispatcher and the executor service are built here and
told about each other here, never by each other's constructors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg
import grpc
import structlog
from aiohttp import web
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from syncplane import egress
from syncplane.admin.v1 import service_pb2 as admin_pb
from syncplane.admin.v1 import service_pb2_grpc as admin_grpc
from syncplane.console.v1 import service_pb2 as console_pb
from syncplane.console.v1 import service_pb2_grpc as console_grpc
from syncplane.engine.v1 import attempts_pb2 as attempts_pb
from syncplane.engine.v1 import attempts_pb2_grpc as attempts_grpc
from syncplane.engine.v1 import executor_pb2 as executor_pb
from syncplane.engine.v1 import executor_pb2_grpc as executor_grpc
from syncplane.identity.v1 import schedules_service_pb2 as identity_schedules_pb
from syncplane.identity.v1 import schedules_service_pb2_grpc as identity_schedules_grpc
from syncplane.identity.v1 import service_pb2 as identity_pb
from syncplane.identity.v1 import service_pb2_grpc as identity_grpc
from syncplane.jobs.v1 import service_pb2 as jobs_pb
from syncplane.jobs.v1 import service_pb2_grpc as jobs_grpc
from syncplane.server import planes as plane_checks
from syncplane.server import sealing
from syncplane.server.auth.client_address import gateway_mark_interceptors, new_gateway_mark
from syncplane.server.auth.interceptor import AuthInterceptor, rules_for
from syncplane.server.auth.keys import REVOKED_CHANNEL, KeyStore
from syncplane.server.config import ServerSettings
from syncplane.server.db import credentials as credentials_db
from syncplane.server.db.errors import UNAVAILABLE
from syncplane.server.db.migrate import migrate
from syncplane.server.db.pool import create_pool
from syncplane.server.dialects.admin.admin_service import AdminService
from syncplane.server.dialects.console.console_service import ConsoleService
from syncplane.server.dialects.identity import plans as identity_plans
from syncplane.server.dialects.identity.activities_service import ActivitiesService
from syncplane.server.dialects.identity.schedule_graph import KIND as IDENTITY_SCHEDULE_KIND
from syncplane.server.dialects.identity.schedule_graph import ScheduleGraphHooks
from syncplane.server.dialects.identity.schedules_service import ScheduleExecutionsService, SchedulesService
from syncplane.server.dialects.identity.settings import IdentitySettings
from syncplane.server.dialects.identity.synchronisation_service import SynchronisationService
from syncplane.server.dialects.identity.worker_tasks_service import WorkerTasksService
from syncplane.server.dialects.jobs import plans as job_plans
from syncplane.server.dialects.jobs.daemons_service import DaemonsService
from syncplane.server.dialects.jobs.delivery import Deliverer
from syncplane.server.dialects.jobs.integrations_service import IntegrationsService
from syncplane.server.dialects.jobs.runs_service import SyncJobRunsService
from syncplane.server.dialects.jobs.sync_jobs_service import CRON_KIND, SyncJobsService
from syncplane.server.dialects.jobs.webhooks_service import WebhooksService
from syncplane.server.dialects.stored_secrets import move_stored_config_secrets
from syncplane.server.dialects.syncs import plans
from syncplane.server.dialects.syncs.connections_service import ConnectionsService
from syncplane.server.dialects.syncs.syncs_service import SyncsService
from syncplane.server.engine.attempt_service import AttemptService
from syncplane.server.engine.attempts import OutsideAttempts
from syncplane.server.engine.backends.external import ExternalBackend
from syncplane.server.engine.backends.native import NativeBackend
from syncplane.server.engine.backends.prefect import PrefectBackend, local_control_plane
from syncplane.server.engine.backends.registry import BackendRegistry
from syncplane.server.engine.backends.temporal import TemporalBackend
from syncplane.server.engine.dispatcher import Dispatcher
from syncplane.server.engine.executor_service import ExecutorService
from syncplane.server.engine.lifecycle import RunEngine
from syncplane.server.engine.notify import Listener
from syncplane.server.engine.progress import ProgressWriter
from syncplane.server.engine.run_feed import RunFeed
from syncplane.server.engine.scheduler import Scheduler
from syncplane.server.engine.sessions import SessionRegistry
from syncplane.server.engine.sweeper import Sweeper, polled_lease_seconds
from syncplane.server.engine.watch import WatchHub
from syncplane.server.observability import tracing
from syncplane.server.observability.sampler import Sampler
from syncplane.server.startup import StartingSite, wait_for_database
from syncplane.server.supervisor import Supervisor
from syncplane.syncs.v1 import service_pb2 as syncs_pb
from syncplane.syncs.v1 import service_pb2_grpc as syncs_grpc

log = structlog.get_logger(__name__)

#: Health service names the gateway's /readyz asks about.
DATABASE_HEALTH = "syncplane.database"
EXECUTORS_HEALTH = "syncplane.executors"

KEEPALIVE_OPTIONS = [
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 1),
    # At or below the executors' keepalive time, or the server answers GOAWAY.
    ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
    ("grpc.http2.max_pings_without_data", 0),
]


JOBS_SERVICES = (
    "IntegrationsService", "WebhooksService", "SyncJobsService", "SyncJobRunsService", "DaemonsService",
)


def rest_services() -> list[ServiceDescriptor]:
    """The services the gateway exposes over REST."""
    return [
        syncs_pb.DESCRIPTOR.services_by_name["SyncsService"],
        syncs_pb.DESCRIPTOR.services_by_name["ConnectionsService"],
        admin_pb.DESCRIPTOR.services_by_name["AdminService"],
        console_pb.DESCRIPTOR.services_by_name["ConsoleService"],
        identity_pb.DESCRIPTOR.services_by_name["SynchronisationService"],
        identity_pb.DESCRIPTOR.services_by_name["ActivitiesService"],
        identity_pb.DESCRIPTOR.services_by_name["WorkerTasksService"],
        identity_schedules_pb.DESCRIPTOR.services_by_name["SchedulesService"],
        identity_schedules_pb.DESCRIPTOR.services_by_name["ScheduleExecutionsService"],
        *(jobs_pb.DESCRIPTOR.services_by_name[name] for name in JOBS_SERVICES),
        # Outside backends' workers (REST for the external backend's).
        attempts_pb.DESCRIPTOR.services_by_name["AttemptService"],
    ]


def all_services() -> list[ServiceDescriptor]:
    return [*rest_services(), executor_pb.DESCRIPTOR.services_by_name["ExecutorService"]]


async def grpc_readiness(channel: grpc.aio.Channel) -> dict[str, bool]:
    """Readiness as the gRPC health service reports it (works in or out of process)."""
    stub = health_pb2_grpc.HealthStub(channel)
    checks: dict[str, bool] = {}
    for name, service in (("grpc", ""), ("database", DATABASE_HEALTH), ("executors", EXECUTORS_HEALTH)):
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2)
            checks[name] = reply.status == health_pb2.HealthCheckResponse.SERVING
        except grpc.RpcError:
            checks[name] = False
    checks["gateway"] = True
    return checks


class ServerApp:
    def __init__(self, settings: ServerSettings, *, bootstrap_api_key: str | None = None) -> None:
        self.settings = settings
        self._bootstrap_value = bootstrap_api_key
        self.bootstrap_secret: str | None = None
        self.grpc_port: int | None = None
        self.http_port: int | None = None
        self._supervisor = Supervisor("server")
        self._stopped = False
        self._runner: web.AppRunner | None = None
        self._external: ExternalBackend | None = None
        self._grpc: grpc.aio.Server | None = None
        self._channel: grpc.aio.Channel | None = None
        self.pool: asyncpg.Pool | None = None
        self.keys: KeyStore | None = None
        #: Set when a supervised task dies (`_supervisor.error` says which).
        self.failed = self._supervisor.failed
        self.dispatcher: Dispatcher | None = None
        self.sessions = SessionRegistry()
        self.backends = BackendRegistry()
        self._executors: ExecutorService | None = None
        self.engine: RunEngine | None = None
        # The HTTP port while the database is awaited (/readyz 503), until the gateway takes it over.
        self._starting: StartingSite | None = None

    async def start(self) -> None:
        s = self.settings
        # Secrets are sealed with this process's key ring (first: a bad key stops
        # the start before anything else); rows from before sealing are sealed below.
        sealing.install(sealing.load_ring(s.data_dir))
        tracing.configure()
        if s.gateway:
            self._starting = StartingSite(s.http_host, s.http_port, "database")
            await self._starting.start()
        conn = await wait_for_database(s.database_url, s.ops.database_wait_seconds)
        try:
            await migrate(conn)
            await plane_checks.warn_if_shared(conn, s.database_url, s.data_store_url)
        finally:
            await conn.close()
        self.pool = pool = await create_pool(s.database_url, min_size=2, max_size=20)
        sealed = await credentials_db.seal_clear_rows(pool)
        if sealed:
            log.info("secrets.sealed_clear_rows", count=sealed)
        await move_stored_config_secrets(pool)
        self.keys = keys = KeyStore(pool)
        # The in-process gateway's calls carry this secret: only they may name a REST client's address.
        self._gateway_mark = new_gateway_mark()
        self.bootstrap_secret = await keys.ensure_bootstrap_key(self._bootstrap_value)

        self.engine = engine = RunEngine(pool)
        sync_hooks = plans.SyncHooks(s.data_store_url)
        engine.register_kind(plans.KIND, sync_hooks)
        engine.register_kind(identity_plans.KIND, identity_plans.IdentityHooks(s.data_store_url))
        identity_settings = IdentitySettings.from_env(s.file_roots)
        scheduler = Scheduler(pool, engine, s.engine.sweep_interval_seconds)
        scheduler.register_kind(plans.KIND, sync_hooks)
        schedule_hooks = ScheduleGraphHooks(identity_settings)
        engine.graphs.register_kind(IDENTITY_SCHEDULE_KIND, schedule_hooks)
        scheduler.register_kind(IDENTITY_SCHEDULE_KIND, schedule_hooks)
        job_hooks = job_plans.JobHooks(s.data_store_url)
        engine.register_kind(job_plans.KIND, job_hooks)
        scheduler.register_kind(CRON_KIND, job_hooks)
        deliverer = Deliverer(pool)
        native = NativeBackend(pool, engine, self.sessions, s.engine.lease_seconds)
        self.backends.register(native)
        if s.prefect is not None:  # SYNCPLANE_PREFECT_API_URL
            self.backends.register(
                PrefectBackend(pool, engine, s.prefect, lambda: local_control_plane(s.grpc_host, self.grpc_port))
            )
        if s.temporal is not None:  # SYNCPLANE_TEMPORAL_ADDRESS
            self.backends.register(TemporalBackend(pool, engine, s.temporal, s.engine.cancel_timeout_seconds))
        self.dispatcher = dispatcher = Dispatcher(
            pool, engine, self.backends, s.engine.lease_seconds, s.engine.dispatch_poll_seconds,
            polled_lease_seconds=polled_lease_seconds(s.engine.lease_seconds, s.engine.sweep_interval_seconds),
        )
        # A trigger here wakes the local dispatcher at once (not by its own NOTIFY);
        # a session joining or a slot freeing up is worth a claim too.
        engine.dispatcher = dispatcher
        self.sessions.on_added(dispatcher.wake)
        self.sessions.on_freed(dispatcher.slot_freed)
        progress = ProgressWriter(pool, s.engine.progress_flush_seconds, engine)
        # What every outside backend's workers fetch, report and finish through.
        outside = OutsideAttempts(pool, engine, progress, s.engine.lease_seconds)
        self._external = external = ExternalBackend(pool, engine, outside) if s.external_backend else None
        if external is not None:  # SYNCPLANE_EXTERNAL_BACKEND=on
            self.backends.register(external)
        # Dialects learn from the engine which backends a subject may choose.
        engine.backends = self.backends
        sweeper = Sweeper(
            pool, engine, s.engine.sweep_interval_seconds, s.engine.cancel_timeout_seconds,
            backends=self.backends, lease_seconds=s.engine.lease_seconds, progress=progress,
        )
        outside.on_finished = sweeper.final_look
        watch = WatchHub()
        run_feed = RunFeed()  # every run's changes, for the console's live run list
        self._listener = listener = Listener(s.database_url)
        listener.subscribe("syncplane_runs_pending", dispatcher.wake)
        listener.subscribe("syncplane_cancel", dispatcher.deliver_cancel)
        listener.subscribe("syncplane_run_changed", watch.on_notify)
        listener.subscribe("syncplane_run_changed", run_feed.on_changed)
        listener.subscribe("syncplane_runs_pending", run_feed.on_pending)
        if external is not None:  # its workers' waiting claims
            listener.subscribe("syncplane_runs_pending", external.wake)
        listener.subscribe("syncplane_jobs_outbox", deliverer.wake)
        listener.subscribe(REVOKED_CHANNEL, keys.on_revoked)
        await listener.start()

        self._health = health.aio.HealthServicer()
        server = grpc.aio.server(
            interceptors=[AuthInterceptor(keys, rules_for(all_services()), gateway_mark=self._gateway_mark)],
            options=KEEPALIVE_OPTIONS,
        )
        syncs_grpc.add_SyncsServiceServicer_to_server(SyncsService(pool, engine, watch), server)
        syncs_grpc.add_ConnectionsServiceServicer_to_server(ConnectionsService(pool), server)
        admin_grpc.add_AdminServiceServicer_to_server(AdminService(keys), server)
        console_grpc.add_ConsoleServiceServicer_to_server(ConsoleService(pool, run_feed, self.sessions), server)
        identity_args = (pool, engine, watch, identity_settings)
        identity_grpc.add_SynchronisationServiceServicer_to_server(SynchronisationService(*identity_args), server)
        identity_grpc.add_ActivitiesServiceServicer_to_server(ActivitiesService(*identity_args), server)
        identity_grpc.add_WorkerTasksServiceServicer_to_server(WorkerTasksService(*identity_args), server)
        identity_schedules_grpc.add_SchedulesServiceServicer_to_server(SchedulesService(*identity_args), server)
        identity_schedules_grpc.add_ScheduleExecutionsServiceServicer_to_server(
            ScheduleExecutionsService(*identity_args), server
        )
        jobs_grpc.add_IntegrationsServiceServicer_to_server(IntegrationsService(pool), server)
        jobs_grpc.add_WebhooksServiceServicer_to_server(WebhooksService(pool), server)
        jobs_grpc.add_SyncJobsServiceServicer_to_server(SyncJobsService(pool), server)
        jobs_grpc.add_SyncJobRunsServiceServicer_to_server(SyncJobRunsService(pool, engine, watch), server)
        jobs_grpc.add_DaemonsServiceServicer_to_server(DaemonsService(pool), server)
        self._executors = ExecutorService(pool, engine, self.sessions, native, progress, s.engine)
        executor_grpc.add_ExecutorServiceServicer_to_server(self._executors, server)
        attempts_grpc.add_AttemptServiceServicer_to_server(AttemptService(outside, external), server)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        reflection.enable_server_reflection(
            [d.full_name for d in all_services()] + [health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
            server,
        )
        self.grpc_port = server.add_insecure_port(f"{s.grpc_host}:{s.grpc_port}")
        # The egress policy refuses the server's own listeners as outbound targets.
        egress.add_listener(self, s.grpc_host, self.grpc_port)
        await server.start()
        self._grpc = server

        for name, coro in (
            ("dispatcher", dispatcher.run()),
            ("sweeper", sweeper.run()),
            ("scheduler", scheduler.run()),
            ("progress-writer", progress.run()),
            ("webhook-deliverer", deliverer.run()),
            ("health-probe", self._probe_health()),
            ("revocation-poll", keys.watch_revocations()),
            ("metrics-sampler", Sampler(pool, self.sessions, s.ops.metrics_interval_seconds).run()),
        ):
            self._supervisor.start(name, coro)

        if s.gateway:
            await self._start_gateway()
        log.info("server.started", grpc_port=self.grpc_port, http_port=self.http_port)

    async def _start_gateway(self) -> None:
        from syncplane.server.gateway import build_gateway_app

        self._channel = grpc.aio.insecure_channel(
            f"127.0.0.1:{self.grpc_port}", interceptors=gateway_mark_interceptors(self._gateway_mark)
        )
        channel = self._channel
        app = build_gateway_app(channel, rest_services(), lambda: grpc_readiness(channel))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = self.settings.http_port
        if self._starting is not None:
            port = self._starting.port or port  # the port it was given (0: the one it got)
            await self._starting.stop()
            self._starting = None
        site = web.TCPSite(self._runner, self.settings.http_host, port)
        await site.start()
        sockets = site._server.sockets if site._server else []
        self.http_port = sockets[0].getsockname()[1] if sockets else self.settings.http_port
        egress.add_listener(self, self.settings.http_host, self.http_port)

    async def _probe_health(self) -> None:
        assert self.pool is not None
        await self._health.set("", health_pb2.HealthCheckResponse.SERVING)
        while True:
            try:
                async with asyncio.timeout(2):
                    await self.pool.fetchval("SELECT 1")
                db_ok = True
            except UNAVAILABLE:
                db_ok = False
            serving, not_serving = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING
            await self._health.set(DATABASE_HEALTH, serving if db_ok else not_serving)
            executors = self.sessions.connected() > 0
            await self._health.set(EXECUTORS_HEALTH, serving if executors else not_serving)
            await asyncio.sleep(0.5)

    async def stop(self, grace: float = 5.0) -> None:
        """Stops everything start() started, in reverse (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        log.info("server.stopping", failed_task=self._supervisor.error.task if self._supervisor.error else None)
        if self._grpc is not None:
            await self._health.enter_graceful_shutdown()
        if self._external is not None:
            self._external.close()  # long-polling claims answer now, not at the end of their wait
        if self._starting is not None:
            await self._starting.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        # End executor streams first so grpc's graceful stop need not wait for them.
        self.sessions.close_all()
        if self._grpc is not None:
            await self._grpc.stop(grace)
        if self._executors is not None:
            await self._executors.stop()
        await self._supervisor.stop()
        if self.engine is not None:
            await self.engine.close()
        if self._channel is not None:
            await self._channel.close()
        if hasattr(self, "_listener"):
            await self._listener.stop()
        if self.pool is not None:
            await self.pool.close()
        egress.forget_listeners(self)
        log.info("server.stopped")


async def serve_gateway(grpc_target: str, host: str, port: int) -> web.AppRunner:
    """A standalone gateway in front of a server elsewhere."""
    from syncplane.server.gateway import build_gateway_app

    channel = grpc.aio.insecure_channel(grpc_target)
    app = build_gateway_app(channel, rest_services(), lambda: grpc_readiness(channel))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


__all__: Sequence[str] = ["ServerApp", "serve_gateway", "rest_services", "all_services"]
