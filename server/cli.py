"""The `syncplane` command."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from syncplane.server import cli_output, cli_temporal, prefect_cli
from syncplane.server.cli_help import polish, version
from syncplane.server.logs import configure
from syncplane.server.supervisor import wait_first


def _server_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--server", default=os.environ.get("SYNCPLANE_SERVER", "127.0.0.1:50051"),
                   help="gRPC address of the server, HOST:PORT (or SYNCPLANE_SERVER)")
    # Read from the environment when used, not here: --help must not print it.
    p.add_argument("--api-key", default=None, help="API key (default: SYNCPLANE_API_KEY)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="syncplane", description="Control plane for data-synchronisation runs")
    parser.add_argument("--version", action="version", version=f"syncplane {version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="embedded PostgreSQL + server + gateway + executors, on this machine")
    up.add_argument("--data-dir", type=Path, default=Path(os.environ.get("SYNCPLANE_DATA_DIR", ".data")))
    up.add_argument("--grpc-port", type=int, default=50051)
    up.add_argument("--http-port", type=int, default=8080)
    up.add_argument("--executors", type=int, default=2)
    up.add_argument("--slots", type=int, default=4, help="concurrent runs per executor")
    up.add_argument("--database-url", default=None, help="use this PostgreSQL instead of the embedded one")
    up.add_argument("--file-root", action="append", type=Path, default=[], help="folder file connectors may use")
    up.add_argument("--host", default="127.0.0.1", help="address to listen on")
    up.add_argument("--demo", action="store_true", help="create a demo source, connection and sync")
    up.add_argument("--backend", choices=("native", "temporal", "prefect"), default="native",
                    help="also start this execution engine's dev server and workers (the `temporal` or `prefect` extra)")
    up.add_argument("--temporal-port", type=int, default=7233,
                    help="with --backend temporal: the dev server's frontend port (its UI on this + 1000)")

    server = sub.add_parser("server", help="the gRPC control plane (and, by default, the gateway)")
    server.add_argument("--database-url", default=os.environ.get("SYNCPLANE_DATABASE_URL"))
    server.add_argument("--data-store-url", default=os.environ.get("SYNCPLANE_DATA_STORE_URL"))
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--grpc-port", type=int, default=50051)
    server.add_argument("--http-port", type=int, default=8080)
    server.add_argument("--no-gateway", action="store_true", help="serve gRPC only")
    server.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("SYNCPLANE_DATA_DIR", ".data")),
        help="the server's own files: the key file sealing stored secrets, unless SYNCPLANE_SECRET_KEY is set "
        "(or SYNCPLANE_DATA_DIR)",
    )
    server.add_argument(
        "--file-root", action="append", type=Path, default=[],
        help="folder file connectors may use (or SYNCPLANE_FILE_ROOTS, separated by the OS path separator)",
    )

    gateway = sub.add_parser("gateway", help="a standalone REST gateway in front of a server")
    gateway.add_argument("--grpc-target", required=True, help="HOST:PORT of a syncplane server")
    gateway.add_argument("--host", default="127.0.0.1")
    gateway.add_argument("--http-port", type=int, default=8080)

    executor = sub.add_parser("executor", help="an executor process that dials a server")
    executor.add_argument(
        "--server", default=os.environ.get("SYNCPLANE_SERVER", "127.0.0.1:50051"),
        help="gRPC address of the server, or several comma-separated (replicas), tried in turn (or SYNCPLANE_SERVER)",
    )
    executor.add_argument("--group", default="default")
    executor.add_argument("--slots", type=int, default=4)
    executor.add_argument("--token", default=os.environ.get("SYNCPLANE_EXECUTOR_TOKEN"), help="or SYNCPLANE_EXECUTOR_TOKEN")
    executor.add_argument("--id", default=None, help="stable executor id (default: host-pid-random)")

    cli_temporal.add_parser(sub)
    prefect_cli.add_parsers(sub)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--database-url", default=os.environ.get("SYNCPLANE_DATABASE_URL"))

    db = sub.add_parser("db", help="the databases of a PostgreSQL of your own")
    db_sub = db.add_subparsers(dest="action", required=True)
    provision = db_sub.add_parser(
        "provision", help="create the control and data-store roles and databases (two planes, see README)"
    )
    provision.add_argument("--admin-url", default=os.environ.get("SYNCPLANE_ADMIN_DATABASE_URL"),
                           help="a superuser's URL, used for this command only (or SYNCPLANE_ADMIN_DATABASE_URL)")
    provision.add_argument("--out-dir", type=Path, default=Path(os.environ.get("SYNCPLANE_DATA_DIR", ".data")),
                           help="where the two URLs are written (files readable by the owner only)")
    secrets = sub.add_parser("secrets", help="the sealing of stored secrets")
    secrets_sub = secrets.add_subparsers(dest="action", required=True)
    rotate = secrets_sub.add_parser(
        "rotate-key", help="re-encrypt every stored secret under a new key, servers running (see README)"
    )
    rotate.add_argument("--database-url", default=os.environ.get("SYNCPLANE_DATABASE_URL"))
    rotate.add_argument("--data-dir", type=Path, default=Path(os.environ.get("SYNCPLANE_DATA_DIR", ".data")))
    rotate.add_argument("--new-key-file", type=Path, default=None, help="the new key (base64 of 32 bytes); default: a new random key")

    syncs = sub.add_parser("syncs", help="syncs (client)")
    syncs_sub = syncs.add_subparsers(dest="action", required=True)
    s_list = syncs_sub.add_parser("list")
    s_list.add_argument("--limit", type=int, default=50)
    s_get = syncs_sub.add_parser("get")
    s_get.add_argument("id")
    s_trigger = syncs_sub.add_parser("trigger", help="start a run; --wait shows live progress")
    s_trigger.add_argument("id")
    s_trigger.add_argument("--run-mode", choices=["incremental", "full"], default="incremental")
    s_trigger.add_argument("--wait", action="store_true", help="follow the run; exit non-zero unless it succeeds")
    cli_output.add_output_arg(s_list)
    for p in (s_list, s_get, s_trigger):
        _server_args(p)

    runs = sub.add_parser("runs", help="sync runs (client)")
    runs_sub = runs.add_subparsers(dest="action", required=True)
    r_get = runs_sub.add_parser("get")
    r_get.add_argument("id")
    r_list = runs_sub.add_parser("list", help="runs of every sync (or of one), newest first")
    r_list.add_argument("id", nargs="?", default=None, help="only the runs of this sync")
    from syncplane.syncs.v1 import service_pb2 as syncs_pb

    r_list.add_argument("--status", action="append", choices=cli_output.string_enum(syncs_pb.ListRunsRequest, "status"),
                        default=None,
                        help="only runs in this status (repeat for several); across syncs")
    r_list.add_argument("--limit", type=int, default=25)
    r_list.add_argument("--offset", type=int, default=0)
    cli_output.add_output_arg(r_list)
    r_cancel = runs_sub.add_parser("cancel")
    r_cancel.add_argument("id")
    r_cancel.add_argument("--reason")
    r_retry = runs_sub.add_parser("retry")
    r_retry.add_argument("id")
    r_watch = runs_sub.add_parser("watch")
    r_watch.add_argument("id")
    for p in (r_get, r_list, r_cancel, r_retry, r_watch):
        _server_args(p)

    conns = sub.add_parser("connections", help="connections (client)")
    conns_sub = conns.add_subparsers(dest="action", required=True)
    c_list = conns_sub.add_parser("list")
    cli_output.add_output_arg(c_list)
    _server_args(c_list)

    _identity_parsers(sub)

    keys = sub.add_parser("api-keys", help="API keys (client; administrator)")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    k_create = keys_sub.add_parser("create")
    k_create.add_argument("--name", required=True)
    k_create.add_argument("--role", choices=["administrator", "viewer"], default="viewer")
    _server_args(k_create)
    k_list = keys_sub.add_parser("list")
    cli_output.add_output_arg(k_list)
    _server_args(k_list)
    k_revoke = keys_sub.add_parser("revoke", help="revoke a key on every replica (open streams end too)")
    k_revoke.add_argument("id")
    _server_args(k_revoke)

    tokens = sub.add_parser("executor-tokens", help="executor tokens (client; administrator)")
    tokens_sub = tokens.add_subparsers(dest="action", required=True)
    t_create = tokens_sub.add_parser("create", help="a token for executors started by hand; shown once")
    t_create.add_argument("--name", required=True)
    _server_args(t_create)
    t_list = tokens_sub.add_parser("list")
    cli_output.add_output_arg(t_list)
    _server_args(t_list)
    t_revoke = tokens_sub.add_parser("revoke", help="disconnect the executors using it and refuse it from now on")
    t_revoke.add_argument("id")
    _server_args(t_revoke)

    from syncplane.server.client_jobs import add_parsers as jobs_parsers

    jobs_parsers(sub, _server_args)
    polish(parser)
    return parser


def _identity_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The identity dialect's client commands (run profiles, connected systems, activities)."""
    rp = sub.add_parser("run-profile", help="identity run profiles (client; administrator)")
    rp_sub = rp.add_subparsers(dest="action", required=True)
    execute = rp_sub.add_parser("execute", help="execute a run profile; --wait shows live progress")
    execute.add_argument("--connected-system", required=True, metavar="NAME|ID")
    execute.add_argument("--run-profile", required=True, metavar="NAME|ID")
    execute.add_argument("--wait", action="store_true", help="follow the activity; exit 0 only when it completes")
    execute.add_argument("--timeout", type=float, default=None, metavar="S", help="stop waiting after S seconds (exit 2)")
    rp_list = rp_sub.add_parser("list", help="the run profiles of a connected system")
    rp_list.add_argument("--connected-system", required=True, metavar="NAME|ID")
    css = sub.add_parser("connected-systems", help="identity connected systems (client; administrator)")
    css_sub = css.add_subparsers(dest="action", required=True)
    cs_list = css_sub.add_parser("list")
    cs_list.add_argument("--page", type=int, default=1)
    cs_list.add_argument("--page-size", type=int, default=25)
    acts = sub.add_parser("activities", help="identity activities (client; administrator)")
    acts_sub = acts.add_subparsers(dest="action", required=True)
    act_get = acts_sub.add_parser("get")
    act_get.add_argument("id")
    cli_output.add_output_arg(rp_list)
    cli_output.add_output_arg(cs_list)
    for p in (execute, rp_list, cs_list, act_get):
        _server_args(p)
    from syncplane.server.schedule_client import add_parsers as schedule_parsers

    schedule_parsers(sub, _server_args)


IDENTITY_COMMANDS = ("run-profile", "connected-systems", "activities")


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `syncplane runs list | head -1`: the reader has all it wanted
        cli_output.quiet_broken_pipe()
        return 141  # 128 + SIGPIPE, as a process killed by the signal reports


def _main(argv: list[str] | None) -> int:
    # Before gRPC starts: its fork handlers serve children that use gRPC without exec; ours exec
    # (`up` starts executors), and the handlers only log "skipping fork() handlers" on each start.
    os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")
    args = build_parser().parse_args(argv)
    configure(args.command)
    if args.command in ("up", "server", "gateway", "executor"):
        from syncplane.server.config import SettingsError, check_environment

        try:
            check_environment()
        except SettingsError as exc:  # one line naming the variable, no traceback
            print(f"syncplane {args.command}: {exc}", file=sys.stderr)
            return 2
    if args.command == "up":
        from syncplane.server.up import UpOptions, up

        opts = UpOptions(
            data_dir=args.data_dir, grpc_port=args.grpc_port, http_port=args.http_port,
            executors=args.executors, slots=args.slots, database_url=args.database_url,
            file_roots=tuple(args.file_root), demo=args.demo, host=args.host, backend=args.backend,
            temporal_port=args.temporal_port,
        )
        return asyncio.run(up(opts))
    if args.command == "server":
        return asyncio.run(_serve(args))
    if args.command == "gateway":
        return asyncio.run(_gateway(args))
    if args.command == "executor":
        if not args.token:
            print("syncplane executor: --token or SYNCPLANE_EXECUTOR_TOKEN is required", file=sys.stderr)
            return 2
        from syncplane.executor.main import run_executor
        from syncplane.executor.runner import ExecutorConfig

        config = ExecutorConfig(server=args.server, token=args.token, group=args.group, slots=args.slots)
        if args.id:
            config.executor_id = args.id
        asyncio.run(run_executor(config))
        return 0
    if args.command == cli_temporal.COMMAND:
        return cli_temporal.main(args)
    if args.command in ("prefect", "prefect-worker"):
        return prefect_cli.main(args)
    if args.command == "migrate":
        return asyncio.run(_migrate(args.database_url))
    if args.command == "db":
        from syncplane.server.db_provision import provision_command

        return asyncio.run(provision_command(args.admin_url, args.out_dir))
    if args.command == "secrets":
        from syncplane.server.sealing.rotate import rotate_key_command

        return asyncio.run(rotate_key_command(args.database_url, args.data_dir, args.new_key_file))
    args.area = args.command
    if args.command in IDENTITY_COMMANDS:
        from syncplane.server.identity_client import main_async as identity_main

        return identity_main(args)
    from syncplane.server.client_jobs import JOBS_COMMANDS

    if args.command in JOBS_COMMANDS:
        from syncplane.server.client_jobs import main_async as jobs_main

        return jobs_main(args)
    if args.command == "schedule":
        from syncplane.server.schedule_client import main_async as schedule_main

        return schedule_main(args)
    from syncplane.server.client import main_async

    return main_async(args)


async def _serve(args: argparse.Namespace) -> int:
    import signal

    from syncplane.server.app import ServerApp
    from syncplane.server.config import EngineSettings, ServerSettings
    from syncplane.server.sealing import KeyConfigError
    from syncplane.server.startup import DatabaseUnreachable

    if not args.database_url:
        print("syncplane server: --database-url or SYNCPLANE_DATABASE_URL is required", file=sys.stderr)
        return 2
    settings = ServerSettings(
        database_url=args.database_url,
        data_store_url=args.data_store_url or args.database_url,
        grpc_host=args.host, grpc_port=args.grpc_port, http_host=args.host, http_port=args.http_port,
        gateway=not args.no_gateway, file_roots=tuple(args.file_root) or _env_file_roots(),
        engine=EngineSettings.from_env(), data_dir=args.data_dir,
    )
    app = ServerApp(settings, bootstrap_api_key=os.environ.get("SYNCPLANE_BOOTSTRAP_API_KEY"))
    try:
        await app.start()
    except KeyConfigError as exc:  # a bad SYNCPLANE_SECRET_KEY or key file: say which, never the key
        print(f"syncplane server: {exc}", file=sys.stderr)
        await app.stop()
        return 2
    except DatabaseUnreachable as exc:  # waited SYNCPLANE_DATABASE_WAIT_SECONDS; each attempt was logged
        print(f"syncplane server: {exc}", file=sys.stderr)
        await app.stop()
        return 1
    if app.bootstrap_secret and not os.environ.get("SYNCPLANE_BOOTSTRAP_API_KEY"):
        print(f"Administrator API key (shown once): {app.bootstrap_secret}", flush=True)
    print(f"syncplane server: grpc {args.host}:{app.grpc_port}" + (f", http {args.host}:{app.http_port}" if app.http_port else ""), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await wait_first(stop, app.failed)
    await app.stop()
    return 1 if app.failed.is_set() else 0


def _env_file_roots() -> tuple[Path, ...]:
    raw = os.environ.get("SYNCPLANE_FILE_ROOTS", "")
    return tuple(Path(p) for p in raw.split(os.pathsep) if p)


async def _gateway(args: argparse.Namespace) -> int:
    import signal

    from syncplane.server.app import serve_gateway

    runner = await serve_gateway(args.grpc_target, args.host, args.http_port)
    print(f"syncplane gateway: http {args.host}:{args.http_port} -> grpc {args.grpc_target}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    return 0


async def _migrate(database_url: str | None) -> int:
    from syncplane.server.db.migrate import migrate
    from syncplane.server.db.pool import connect

    if not database_url:
        print("syncplane migrate: --database-url or SYNCPLANE_DATABASE_URL is required", file=sys.stderr)
        return 2
    conn = await connect(database_url)
    try:
        applied = await migrate(conn)
    finally:
        await conn.close()
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none (up to date)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
