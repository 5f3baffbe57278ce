"""The `syncplane` client commands, run as a user runs them: subprocesses against one real server and
executor (shared by the module), their output read as a pipe (plain lines), through a closed pipe, and
in a pseudo-terminal 80 columns wide (rich's live lines)."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import pty
import re
import signal
import struct
import sys
import termios
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from syncplane.server.db.dsn import with_database
from tests.acceptance.conftest import FAST_ENGINE, make_source
from tests.acceptance.failpoints_support import Failpoints
from tests.acceptance.harness import ADMIN_KEY, Stack, free_port
from tests.acceptance.jobs_support import seed_resources
from tests.acceptance.syncs_support import create_sync
from tests.conftest import _create_database, _drop_database
from tests.integration.sync_job_support import CrmApi

pytestmark = pytest.mark.acceptance

POINT = "executor.batch.committed"
#: Inside a batch's transaction, before it commits: holds the next batch while the screen is read.
IN_BATCH = "executor.batch.in_transaction"
ROWS = 3_000
#: Where a terminal starts writing somewhere else: a new line, or a cursor move or erase.
BREAKS = re.compile(r"\n|\r|\x1b\[[0-9;]*[ABCDEFGHJK]")
#: What takes no room: colours and other modes.
STYLES = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b\][^\x07]*\x07")


@dataclass
class Env:
    stack: Stack
    fp: Failpoints
    sync_id: str
    failing_sync_id: str


@pytest.fixture(scope="module")
async def env(pg_root_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    tmp = tmp_path_factory.mktemp("cli")
    control, source = await _create_database(pg_root_dsn), await _create_database(pg_root_dsn)
    source_dsn = with_database(pg_root_dsn, source)
    fp = Failpoints(tmp / "failpoints", {POINT: "1*pause", IN_BATCH: "1*pause"})
    stack = Stack(database_url=with_database(pg_root_dsn, control), log_dir=tmp / "logs", env=dict(FAST_ENGINE))
    try:
        await stack.start(executors=0)
        await stack.start_executor(2, name="executor-0", env=fp.env("executor-0"))
        fp.release(POINT)  # runs pass freely until a test arms the point again
        fp.release(IN_BATCH)
        await stack.wait_http(lambda status, body: status == 200, "/readyz")
        await make_source(source_dsn, ROWS)
        sync_id = await create_sync(stack, source_dsn, page_size=500)
        failing = await create_sync(stack, source_dsn, table="no_such_table", dest_table="nothing")
        yield Env(stack, fp, sync_id, failing)
    finally:
        fp.release_all()
        await stack.stop()
        await _drop_database(pg_root_dsn, control)
        await _drop_database(pg_root_dsn, source)


def _environ(**extra: str) -> dict[str, str]:
    return {**os.environ, "SYNCPLANE_API_KEY": ADMIN_KEY, "NO_COLOR": "1", **extra}


async def cli(env: Env | None, *args: str, server: str | None = None) -> tuple[int, str, str]:
    target = server or (env.stack.grpc_target if env else "127.0.0.1:1")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncplane.server.cli", *args, "--server", target,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=_environ(),
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_trigger_wait_prints_a_plain_line_per_change_with_the_total_the_source_counted(env: Env) -> None:
    code, _, err = await cli(env, "syncs", "trigger", env.sync_id, "--wait", "--run-mode", "full")
    assert code == 0, err
    lines = err.splitlines()
    assert re.match(r"run [0-9a-f-]{36} queued$", lines[0]), lines
    assert any(line.startswith("  orders:") for line in lines), lines
    assert lines[-1].endswith("succeeded: 3,000 rows written"), lines
    # Not a terminal: a line only when what it says changed, never the same line twice in a row.
    assert all(a != b for a, b in zip(lines, lines[1:])), lines
    assert "\r" not in err and "\x1b[" not in err
    # PostgreSQL counts the rows before reading them: an exact total from the first run on, no estimate.
    assert any(line.startswith("  orders:") and "/3,000 rows" in line for line in lines), lines
    assert "~" not in err, err


async def test_a_failed_run_exits_non_zero_and_runs_list_finds_it_across_syncs(env: Env) -> None:
    code, _, err = await cli(env, "syncs", "trigger", env.failing_sync_id, "--wait")
    assert code == 1, err
    assert "failed (source_error)" in err and "no_such_table" in err and "Traceback" not in err
    failed_id = re.search(r"run ([0-9a-f-]{36}) queued", err).group(1)  # type: ignore[union-attr]

    code, out, err = await cli(env, "runs", "list", "--status", "failed")
    assert code == 0, err
    header, *rows = [line for line in out.splitlines() if line.strip() and not set(line.strip()) <= {"─"}]
    assert header.split()[:2] == ["RUN", "STATUS"]
    assert rows and all(" failed " in f" {row} " for row in rows), out
    assert any(row.startswith(failed_id) for row in rows), out

    code, out, _ = await cli(env, "runs", "list", "--status", "failed", "--output", "json")
    listed = json.loads(out)
    assert code == 0 and {r["status"] for r in listed["runs"]} == {"failed"}
    assert failed_id in {r["id"] for r in listed["runs"]} and listed["total"] == len(listed["runs"])
    # The same query over REST, and a status that does not exist refused in the dialect's shape.
    rest = await env.stack.get("/api/v1/syncs/runs?status=failed")
    assert [r["id"] for r in rest["runs"]] == [r["id"] for r in listed["runs"]]
    everything = await env.stack.get("/api/v1/syncs/runs?limit=100")
    assert {r["status"] for r in everything["runs"]} >= {"failed"} and everything["total"] >= listed["total"]
    refused = await env.stack.request("GET", "/api/v1/syncs/runs?status=exploded", expect=422)
    assert refused["detail"][0]["loc"][-2:] == ["status", 0] or "status" in json.dumps(refused)


async def test_lists_are_tables_by_default_and_json_on_request(env: Env) -> None:
    code, out, err = await cli(env, "syncs", "list")
    assert code == 0, err
    first = out.splitlines()[0].split()
    assert first[:3] == ["ID", "NAME", "STATUS"], out
    assert env.sync_id in out and env.failing_sync_id in out
    code, out, _ = await cli(env, "syncs", "list", "-o", "json")
    assert code == 0 and {s["id"] for s in json.loads(out)["syncs"]} == {env.sync_id, env.failing_sync_id}
    for command in (("connections", "list"), ("api-keys", "list"), ("executor-tokens", "list")):
        code, out, err = await cli(env, *command)
        assert code == 0 and out.splitlines()[0].startswith("ID"), (command, out, err)
        code, out, err = await cli(env, *command, "--output", "json")
        assert code == 0 and isinstance(json.loads(out), dict), (command, out, err)


async def test_server_unreachable_is_one_line_naming_the_address_and_how_to_set_it() -> None:
    address = f"127.0.0.1:{free_port()}"
    code, out, err = await cli(None, "syncs", "list", server=address)
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert address in err and "--server" in err and "SYNCPLANE_SERVER" in err and "refused" in err


async def test_a_closed_pipe_is_no_traceback(env: Env) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line (`| head -0`)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncplane.server.cli", "runs", "list", "-o", "json", "--server", env.stack.grpc_target,
        stdout=write_end, stderr=asyncio.subprocess.PIPE, env=_environ(),
    )
    os.close(write_end)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 141, err
    assert err.decode() == ""


async def test_ctrl_c_during_wait_says_the_run_goes_on_and_how_to_cancel_it(env: Env) -> None:
    env.fp.clear(POINT)  # the next batch commit pauses: the run is surely going when Ctrl-C comes
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "syncplane.server.cli", "syncs", "trigger", env.sync_id, "--wait", "--run-mode", "full",
            "--server", env.stack.grpc_target,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=_environ(),
        )
        assert proc.stderr is not None
        queued = (await asyncio.wait_for(proc.stderr.readline(), 60)).decode()
        run_id = queued.split()[1]
        # The entity lines come from the watch: once one is printed, the CLI is following the run.
        while not (await asyncio.wait_for(proc.stderr.readline(), 60)).startswith(b"  orders:"):
            pass
        await env.fp.wait_hit(POINT)
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        text = err.decode()
        assert proc.returncode == 130, text
        assert f"stopped watching: run {run_id} goes on" in text
        assert f"cancel it with: syncplane runs cancel {run_id}" in text and "Traceback" not in text
        run = await env.stack.get(f"/api/v1/syncs/runs/{run_id}")
        assert run["status"] == "running"
    finally:
        env.fp.release(POINT)
    await env.stack.wait_run(run_id, {"succeeded"})


async def test_live_progress_in_an_80_column_terminal_never_wraps(env: Env) -> None:
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 80, 0, 0))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncplane.server.cli", "syncs", "trigger", env.sync_id, "--wait", "--run-mode", "full",
        "--server", env.stack.grpc_target,
        stdin=secondary, stdout=secondary, stderr=secondary, env=_environ(TERM="xterm-256color"),
    )
    os.close(secondary)
    chunks: list[bytes] = []
    loop = asyncio.get_running_loop()
    while True:
        try:
            chunk = await loop.run_in_executor(None, os.read, primary, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert await proc.wait() == 0
    screen = b"".join(chunks).decode(errors="replace")
    assert "\x1b[" in screen  # rich redraws in place on a terminal
    lines = [STYLES.sub("", piece) for piece in BREAKS.split(screen)]
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    assert any("orders" in line and "rows" in line for line in lines), lines
    assert "succeeded: 3,000 rows written" in screen


async def test_a_counting_source_shows_its_exact_total_and_an_eta_in_a_terminal(env: Env) -> None:
    env.fp.clear(POINT)  # the first batch's commit pauses: the screen shows the counted total before any row
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 80, 0, 0))
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "syncplane.server.cli", "syncs", "trigger", env.sync_id, "--wait",
            "--run-mode", "full", "--server", env.stack.grpc_target,
            stdin=secondary, stdout=secondary, stderr=secondary, env=_environ(TERM="xterm-256color"),
        )
        os.close(secondary)
        screen = _Screen(primary)
        reading = asyncio.create_task(screen.read())
        await env.fp.wait_hit(POINT)
        await screen.wait_for(r"orders .* 0/3,000 rows")  # counted before the first row is read
        # A rate needs half a second of history (cli_progress._Meter): the run is held meanwhile.
        await asyncio.sleep(0.6)
        env.fp.clear(IN_BATCH)  # ... and held again in the second batch, while the screen shows the first
        env.fp.release(POINT)
        await env.fp.wait_hit(IN_BATCH)
        await screen.wait_for(r"orders .* 500/3,000 rows .*eta \d\d:\d\d")
    finally:
        env.fp.release(POINT)
        env.fp.release(IN_BATCH)
    assert await proc.wait() == 0
    await reading
    text = screen.lines()
    # Until the source counted, the previous run's count may stand in (`~`); from then on the total is exact.
    counted = text[re.search(r"orders .* 0/3,000 rows", text).start():]  # type: ignore[union-attr]
    assert "~" not in counted, counted
    assert "succeeded: 3,000 rows written" in text


class _Screen:
    """What a process wrote to a pseudo-terminal, read as it comes."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.chunks: list[bytes] = []
        self.changed = asyncio.Event()

    async def read(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                chunk = await loop.run_in_executor(None, os.read, self.fd, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            self.chunks.append(chunk)
            self.changed.set()
        os.close(self.fd)
        self.changed.set()

    def lines(self) -> str:
        """The text as lines: each redraw of a line on a line of its own, without styles."""
        screen = b"".join(self.chunks).decode(errors="replace")
        return "\n".join(STYLES.sub("", piece) for piece in BREAKS.split(screen))

    async def wait_for(self, pattern: str, timeout: float = 60.0) -> None:
        """Until a line matches; the timeout only bounds a screen that never shows it (a bug)."""
        async def seen() -> None:
            while not re.search(pattern, self.lines()):
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(seen(), timeout)


async def test_sync_jobs_commands(env: Env) -> None:
    async with CrmApi(contacts=25) as crm:
        seeded = await seed_resources(env.stack, crm.port)
        job_id, account_id = seeded["job"]["id"], seeded["account"]["id"]
        code, out, err = await cli(env, "jobs", "list")
        assert code == 0 and out.splitlines()[0].startswith("ID") and job_id in out, (out, err)
        code, _, err = await cli(env, "jobs", "run", job_id, "--account", account_id,
                                 "--args", json.dumps({"project_slug": "vcs/org/repo"}), "--wait")
        assert code == 0, err
        assert "crm/contacts list:" in err and "25 records" in err and "completed; 25 records fetched" in err
        run_id = re.search(r"sync job run ([0-9a-f-]{36}) created", err).group(1)  # type: ignore[union-attr]
    code, out, err = await cli(env, "job-runs", "list", "--status", "completed", "-o", "json")
    assert code == 0 and run_id in {r["id"] for r in json.loads(out)["result"]}, err
    code, out, _ = await cli(env, "job-runs", "get", run_id)
    assert json.loads(out)["resource_stats"]["crm/contacts"]["list"]["fetched"] == 25
    code, _, err = await cli(env, "jobs", "run", job_id, "--account", account_id, "--args", "[1]")
    assert code == 2 and "--args must be a JSON object" in err


def test_help_shows_defaults_and_an_example_and_version_answers() -> None:
    import subprocess

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "syncplane.server.cli", *args], capture_output=True, text=True,
                              env={**_environ(), "SYNCPLANE_API_KEY": "sp_secret_never_shown_0123456789"}, check=True)
        return done.stdout

    trigger = run("syncs", "trigger", "--help")
    assert "(default: incremental)" in trigger and "example:\n  syncplane syncs trigger" in trigger
    assert "sp_secret_never_shown" not in trigger
    assert "(default: table)" in run("runs", "list", "--help")
    assert "example:" in run("jobs", "run", "--help") and "example:" in run("--help")
    assert re.fullmatch(r"syncplane \S+\n", run("--version"))

