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
    "server": "export SYNCPLANE_DATABASE_URL=postgresql://syncplane@db/syncplane\n"
              "  syncplane server --host 0.0.0.0",
    "gateway": "syncplane gateway --grpc-target server:50051 --http-port 8080",
    "executor": "export SYNCPLANE_EXECUTOR_TOKEN=spx_...\n  syncplane executor --server server:50051 --slots 4",
    "migrate": "syncplane migrate --database-url postgresql://syncplane@db/syncplane",
    "db": "syncplane db provision --admin-url postgresql://postgres@db/postgres",
    "db provision": "syncplane db provision --admin-url postgresql://postgres@db/postgres",
    "secrets": "syncplane secrets rotate-key",
    "secrets rotate-key": "syncplane secrets rotate-key --data-dir .data",
    "syncs": "syncplane syncs list",
    "syncs list": "syncplane syncs list --output json | jq '.syncs[].id'",
    "syncs get": "syncplane syncs get <sync-id>",
    "syncs trigger": "syncplane syncs trigger <sync-id> --run-mode full --wait",
    "runs": "syncplane runs list --status failed",
    "runs list": "syncplane runs list --status failed --status cancelled\n"
                 "  syncplane runs list <sync-id> --limit 10",
    "runs get": "syncplane runs get <run-id>",
    "runs cancel": "syncplane runs cancel <run-id> --reason 'wrong window'",
    "runs retry": "syncplane runs retry <run-id>",
    "runs watch": "syncplane runs watch <run-id>",
    "connections": "syncplane connections list",
    "connections list": "syncplane connections list --output json",
    "api-keys": "syncplane api-keys create --name ci --role viewer",
    "api-keys create": "syncplane api-keys create --name ci --role viewer",
    "api-keys list": "syncplane api-keys list",
    "api-keys revoke": "syncplane api-keys revoke <id>",
    "executor-tokens": "syncplane executor-tokens create --name rack-2",
    "executor-tokens create": "syncplane executor-tokens create --name rack-2",
    "executor-tokens list": "syncplane executor-tokens list",
    "executor-tokens revoke": "syncplane executor-tokens revoke <id>",
    "run-profile": "syncplane run-profile list --connected-system 'HR CSV'",
    "run-profile execute": "syncplane run-profile execute --connected-system 'HR CSV' \\\n"
                           "      --run-profile 'Full Import' --wait",
    "run-profile list": "syncplane run-profile list --connected-system 'HR CSV'",
    "connected-systems": "syncplane connected-systems list",
    "connected-systems list": "syncplane connected-systems list --page-size 50",
    "activities": "syncplane activities get <activity-id>",
    "activities get": "syncplane activities get <activity-id>",
    "jobs": "syncplane jobs list",
    "jobs list": "syncplane jobs list --integration zendesk",
    "jobs run": "syncplane jobs run <sync-job-id> --account <account-id> \\\n"
                "      --args '{\"project\": \"x\"}' --wait",
    "job-runs": "syncplane job-runs list --status failed",
    "job-runs list": "syncplane job-runs list --status failed --sync-job <sync-job-id>",
    "job-runs get": "syncplane job-runs get <run-id>",
    "job-runs cancel": "syncplane job-runs cancel <run-id>",
    "job-runs watch": "syncplane job-runs watch <run-id>",
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown, except empty ones and secrets; the examples epilog kept as written."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        default = action.default
        if action.dest in SECRET_DESTS or _empty(default):
            return action.help
        return super()._get_help_string(action)


def _empty(default: object) -> bool:
    """No default worth showing (0 is one: `is`, since 0 == False)."""
    return default is None or default is False or default == [] or default == argparse.SUPPRESS


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
            action.metavar = "COMMAND" if not words else "ACTION"  # the list follows, one per line
            for name, sub in action.choices.items():
                polish(sub, f"{words} {name}".strip())
            continue
        if action.choices is not None and len(", ".join(map(str, action.choices))) > 30 and action.option_strings:
            # A long {a,b,c,...} would push the usage line past 80 columns: name it, list it in the help.
            action.metavar = action.dest.upper()
            action.help = (action.help or "") + " (one of: " + ", ".join(map(str, action.choices)) + ")"
        elif not action.help and not action.option_strings and action.dest == "id":
            action.help = "its id"
        elif not action.help and not _empty(action.default):
            # An option without help would hide its default: say at least what it is.
            action.help = DEFAULT_HELP.get(action.dest, action.dest.replace("_", " "))
