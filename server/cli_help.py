"""`--help` for every command: defaults shown (never a secret's), and an example per command.

Applied to the finished parser (server/cli.py builds it), so the commands stay where they are declared.
"""

from __future__ import annotations

import argparse
from importlib import metadata

#: Options whose default comes from the environment and may be a secret: their help never shows it.
SECRET_DESTS = frozenset({"api_key", "token", "database_url", "data_store_url", "admin_url"})

#: Help for common options declared without one (so that their default shows too).
DEFAULT_HELP = {
    "limit": "how many to show",
    "offset": "how many to skip (the next page)",
    "grpc_port": "gRPC port (0: any free port)",
    "http_port": "REST gateway port (0: any free port)",
    "host": "address to listen on",
    "executors": "executor processes to start",
    "group": "executor group whose runs this executor takes",
    "data_dir": "the server's own files (embedded PostgreSQL, key file)",
    "page": "page number, from 1",
    "page_size": "items per page",
    "name": "a name to tell it apart",
    "reason": "why (recorded with the run)",
    "run_mode": "incremental: from the last checkpoint on; full: every row again",
    "slots": "runs at once per executor",
}

#: An example per command, by its words after `syncplane`.
EXAMPLES: dict[str, str] = {
    "": "syncplane up --demo\n  export SYNCPLANE_API_KEY=sp_...\n  syncplane syncs list\n"
        "  syncplane syncs trigger <sync-id> --wait\n  syncplane runs list --status failed",
    "up": "syncplane up --demo --grpc-port 50051 --http-port 8080",
    "server": "SYNCPLANE_DATABASE_URL=postgresql://syncplane@db/syncplane syncplane server --host 0.0.0.0",
    "gateway": "syncplane gateway --grpc-target server:50051 --http-port 8080",
    "executor": "SYNCPLANE_EXECUTOR_TOKEN=spx_... syncplane executor --server server:50051 --slots 4",
    "migrate": "syncplane migrate --database-url postgresql://syncplane@db/syncplane",
    "db": "syncplane db provision --admin-url postgresql://postgres@db/postgres",
    "db provision": "syncplane db provision --admin-url postgresql://postgres@db/postgres --out-dir .data",
    "secrets": "syncplane secrets rotate-key",
    "secrets rotate-key": "syncplane secrets rotate-key --database-url postgresql://syncplane@db/syncplane",
    "syncs": "syncplane syncs list",
    "syncs list": "syncplane syncs list --output json | jq '.syncs[].id'",
    "syncs get": "syncplane syncs get 497f6eca-6276-4993-bfeb-53cbbbba6f08",
    "syncs trigger": "syncplane syncs trigger 497f6eca-6276-4993-bfeb-53cbbbba6f08 --run-mode full --wait",
    "runs": "syncplane runs list --status failed",
    "runs list": "syncplane runs list --status failed --status cancelled\n"
                 "  syncplane runs list 497f6eca-6276-4993-bfeb-53cbbbba6f08 --limit 10",
    "runs get": "syncplane runs get 3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "runs cancel": "syncplane runs cancel 3fa85f64-5717-4562-b3fc-2c963f66afa6 --reason 'wrong window'",
    "runs retry": "syncplane runs retry 3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "runs watch": "syncplane runs watch 3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "connections": "syncplane connections list",
    "connections list": "syncplane connections list --output json",
    "api-keys": "syncplane api-keys create --name ci --role viewer",
    "api-keys create": "syncplane api-keys create --name ci --role viewer",
    "api-keys list": "syncplane api-keys list",
    "api-keys revoke": "syncplane api-keys revoke 5f0c6f52-3a52-4a5e-9a57-0e0e4d1f2a10",
    "executor-tokens": "syncplane executor-tokens create --name rack-2",
    "executor-tokens create": "syncplane executor-tokens create --name rack-2",
    "executor-tokens list": "syncplane executor-tokens list",
    "executor-tokens revoke": "syncplane executor-tokens revoke 5f0c6f52-3a52-4a5e-9a57-0e0e4d1f2a10",
    "run-profile": "syncplane run-profile list --connected-system 'HR CSV'",
    "run-profile execute": "syncplane run-profile execute --connected-system 'HR CSV' --run-profile 'Full Import' --wait",
    "run-profile list": "syncplane run-profile list --connected-system 'HR CSV'",
    "connected-systems": "syncplane connected-systems list",
    "connected-systems list": "syncplane connected-systems list --page-size 50",
    "activities": "syncplane activities get a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "activities get": "syncplane activities get a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "jobs": "syncplane jobs list",
    "jobs list": "syncplane jobs list --integration zendesk",
    "jobs run": "syncplane jobs run 1ba1f401-7183-47c5-9e39-e8e257e3c795 "
                "--account 94801e49-a652-42f9-af14-dd203d7897da --args '{\"project\": \"x\"}' --wait",
    "job-runs": "syncplane job-runs list --status failed",
    "job-runs list": "syncplane job-runs list --status failed --sync-job 1ba1f401-7183-47c5-9e39-e8e257e3c795",
    "job-runs get": "syncplane job-runs get 05daecaf-4365-42e8-8370-8127de5dd717",
    "job-runs cancel": "syncplane job-runs cancel 05daecaf-4365-42e8-8370-8127de5dd717",
    "job-runs watch": "syncplane job-runs watch 05daecaf-4365-42e8-8370-8127de5dd717",
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown, except empty ones and secrets; the examples epilog kept as written."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        default = action.default
        if action.dest in SECRET_DESTS or default is None or default is False or default == [] \
                or default == argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


def version() -> str:
    try:
        return metadata.version("syncplane")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def polish(parser: argparse.ArgumentParser, words: str = "") -> None:
    """Formatter, examples and missing help for `parser` and every subcommand under it."""
    parser.formatter_class = HelpFormatter
    example = EXAMPLES.get(words)
    if example and not parser.epilog:
        parser.epilog = "example:\n  " + example
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                polish(sub, f"{words} {name}".strip())
        elif not action.help and not action.option_strings and action.dest == "id":
            action.help = "its id"
        elif not action.help and action.default not in (None, False, argparse.SUPPRESS) and action.default != []:
            # An option without help would hide its default: say at least what it is.
            action.help = DEFAULT_HELP.get(action.dest, action.dest.replace("_", " "))
