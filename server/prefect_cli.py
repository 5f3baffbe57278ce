"""`syncplane prefect deploy` and `syncplane prefect-worker`.

`deploy` creates (or updates) the process work pool and the deployment whose
flow runs are the `prefect` backend's attempts (entrypoint: the flow in
executor/backends/prefect_flow.py, imported as a module, so any machine with
syncplane installed can run it; nothing is uploaded). `prefect-worker` runs
`prefect worker start` on that pool with what the flows need in its
environment: the executor token and the control plane's address (the flow
processes inherit them; neither is stored in Prefect).

prefect is imported only here and in the flow, never by a server that does not
use it.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from syncplane.prefect_contract import DEFAULT_DEPLOYMENT, DEFAULT_WORK_POOL, ENTRYPOINT, FLOW_NAME, TOKEN_ENV

#: How often the worker asks Prefect for flow runs: Prefect's default (10 s)
#: puts up to that much between a trigger and the attempt's start.
WORKER_QUERY_SECONDS = "1"

PARAMETER_SCHEMA: dict[str, Any] = {
    "title": "Parameters",
    "type": "object",
    "properties": {
        "run_id": {"title": "run_id", "type": "string", "position": 0},
        "attempt_token": {"title": "attempt_token", "type": "integer", "position": 1},
        "control_plane": {"title": "control_plane", "type": "string", "default": "", "position": 2},
    },
    "required": ["run_id", "attempt_token"],
}


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    api = {"default": os.environ.get("SYNCPLANE_PREFECT_API_URL"), "help": "Prefect's API URL (or SYNCPLANE_PREFECT_API_URL)"}
    pool = {"default": os.environ.get("SYNCPLANE_PREFECT_WORK_POOL", DEFAULT_WORK_POOL), "help": "work pool"}
    prefect = sub.add_parser("prefect", help="the prefect execution backend's deployment")
    prefect_sub = prefect.add_subparsers(dest="prefect_command", required=True)
    deploy = prefect_sub.add_parser("deploy", help="create or update the work pool and the deployment")
    deploy.add_argument("--api-url", **api)
    deploy.add_argument("--work-pool", **pool)
    deploy.add_argument(
        "--deployment", default=os.environ.get("SYNCPLANE_PREFECT_DEPLOYMENT", DEFAULT_DEPLOYMENT),
        help=f"<flow>/<deployment>; the flow is always {FLOW_NAME!r}",
    )
    deploy.add_argument("--concurrency", type=int, default=4, help="flow runs the work pool runs at once")

    worker = sub.add_parser("prefect-worker", help="a Prefect process worker that runs syncplane attempts")
    worker.add_argument("--api-url", **api)
    worker.add_argument("--work-pool", **pool)
    worker.add_argument(
        "--server", default=os.environ.get("SYNCPLANE_SERVER", ""),
        help="gRPC address of the control plane the flows dial (default: the one the server names)",
    )
    worker.add_argument("--token", default=os.environ.get(TOKEN_ENV), help=f"executor token (or {TOKEN_ENV})")
    worker.add_argument("--name", default=None, help="the worker's name in Prefect")


def main(args: argparse.Namespace) -> int:
    if not args.api_url:
        print("syncplane prefect: --api-url or SYNCPLANE_PREFECT_API_URL is required", file=sys.stderr)
        return 2
    if args.command == "prefect":
        import asyncio

        deployment_id = asyncio.run(deploy(args.api_url, args.work_pool, args.deployment, args.concurrency))
        print(f"deployment {args.deployment} ({deployment_id}) on work pool {args.work_pool}")
        return 0
    if not args.token:
        print(f"syncplane prefect-worker: --token or {TOKEN_ENV} is required", file=sys.stderr)
        return 2
    argv, env = worker_command(args.api_url, args.work_pool, args.token, args.server, args.name)
    os.execvpe(argv[0], argv, env)  # the worker is Prefect's own: this process becomes it


def worker_command(
    api_url: str, work_pool: str, token: str, server: str = "", name: str | None = None, base_env: dict[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The `prefect worker start` command line and environment for a worker of `work_pool`."""
    env = dict(os.environ if base_env is None else base_env)
    env.update({"PREFECT_API_URL": api_url, TOKEN_ENV: token})
    env.setdefault("PREFECT_WORKER_QUERY_SECONDS", WORKER_QUERY_SECONDS)
    if server:
        env["SYNCPLANE_SERVER"] = server
    argv = [sys.executable, "-m", "prefect", "worker", "start", "--pool", work_pool, "--type", "process"]
    if name:
        argv += ["--name", name]
    return argv, env


async def deploy(api_url: str, work_pool: str, deployment: str, concurrency: int) -> str:
    """Creates or updates the process work pool and the deployment; returns its id."""
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
    from prefect.exceptions import ObjectNotFound

    flow_name, _, name = deployment.rpartition("/")
    if flow_name not in ("", FLOW_NAME):
        raise SystemExit(f"syncplane prefect deploy: the flow is {FLOW_NAME!r}, not {flow_name!r}")
    async with PrefectClient(api_url) as client:
        try:
            await client.read_work_pool(work_pool)
            await client.update_work_pool(work_pool, WorkPoolUpdate(concurrency_limit=concurrency))
        except ObjectNotFound:
            await client.create_work_pool(WorkPoolCreate(name=work_pool, type="process", concurrency_limit=concurrency))
        flow_id = await client.create_flow_from_name(FLOW_NAME)
        deployment_id = await client.create_deployment(
            flow_id,
            name,
            work_pool_name=work_pool,
            entrypoint=ENTRYPOINT,
            parameter_openapi_schema=PARAMETER_SCHEMA,
            enforce_parameter_schema=False,
            description="syncplane run attempts (created by `syncplane prefect deploy`); started by the control plane",
        )
    return str(deployment_id)


__all__ = ["add_parsers", "deploy", "main", "worker_command"]
