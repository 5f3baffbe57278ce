"""Failpoints (syncplane.failpoints): parsed from the environment, a no-op when
unarmed, and `pause` / `crash` / `fail` acting on the n-th hit, observed and
released through files."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncplane import failpoints
from syncplane.failpoints import FailpointError, failpoint, failpoint_sync


@pytest.fixture
def fp_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "fp"
    failpoints.configure(None, None)  # leave this process unarmed for other tests


def test_parse_entries_counts_and_errors() -> None:
    points = failpoints.parse("a.b=pause; c=2*crash,d=fail;")
    assert {k: (p.action, p.nth) for k, p in points.items()} == {"a.b": ("pause", 1), "c": ("crash", 2), "d": ("fail", 1)}
    for bad in ("a", "a=sleep", "a=0*pause", "=pause", "a=x*pause"):
        with pytest.raises(ValueError):
            failpoints.parse(bad)


def test_armed_without_a_directory_is_refused() -> None:
    with pytest.raises(ValueError):
        failpoints.configure("a=pause", None)
    failpoints.configure(None, None)
    assert not failpoints.armed()


async def test_unarmed_points_do_nothing(tmp_path: Path) -> None:
    failpoints.configure(None, None)
    await failpoint("executor.batch.committed")
    failpoint_sync("executor.batch.committed")
    assert not failpoints.armed()


async def test_fail_acts_on_the_nth_hit_only(fp_dir: Path) -> None:
    failpoints.configure("x=2*fail", fp_dir)
    await failpoint("x")  # 1st hit passes
    assert not (fp_dir / "x.hit").exists()
    with pytest.raises(FailpointError):
        await failpoint("x")
    assert (fp_dir / "x.hit").read_text().strip() == str(os.getpid())
    await failpoint("x")  # 3rd passes again
    await failpoint("other")  # not armed


async def test_pause_blocks_the_task_not_the_loop_until_released(fp_dir: Path) -> None:
    failpoints.configure("p=pause", fp_dir)
    paused = asyncio.create_task(failpoint("p"))
    while not (fp_dir / "p.hit").exists():
        await asyncio.sleep(0.001)  # the loop runs while the point is paused
    await asyncio.sleep(0.05)
    assert not paused.done()
    (fp_dir / "p.release").touch()
    await asyncio.wait_for(paused, 5)
    await asyncio.wait_for(failpoint("p"), 5)  # later hits pass while released
    (fp_dir / "p.release").unlink()  # armed again: the next hit pauses
    (fp_dir / "p.hit").unlink()
    again = asyncio.create_task(failpoint("p"))
    while not (fp_dir / "p.hit").exists():
        await asyncio.sleep(0.001)
    assert not again.done()
    (fp_dir / "p.release").touch()
    await asyncio.wait_for(again, 5)


async def test_pause_acts_from_the_nth_hit_on(fp_dir: Path) -> None:
    failpoints.configure("p=3*pause", fp_dir)
    await asyncio.wait_for(failpoint("p"), 1)
    await asyncio.wait_for(failpoint("p"), 1)
    assert not (fp_dir / "p.hit").exists()
    third = asyncio.create_task(failpoint("p"))
    while not (fp_dir / "p.hit").exists():
        await asyncio.sleep(0.001)
    assert not third.done()
    (fp_dir / "p.release").touch()
    await asyncio.wait_for(third, 5)


async def test_a_hit_after_the_release_passes(fp_dir: Path) -> None:
    failpoints.configure("p=pause", fp_dir)
    fp_dir.mkdir(parents=True)
    (fp_dir / "p.release").touch()
    await asyncio.wait_for(failpoint("p"), 1)
    assert (fp_dir / "p.hit").exists()


async def test_sync_pause_blocks_its_thread_until_released(fp_dir: Path) -> None:
    failpoints.configure("s=pause", fp_dir)
    blocked = asyncio.create_task(asyncio.to_thread(failpoint_sync, "s"))
    while not (fp_dir / "s.hit").exists():
        await asyncio.sleep(0.001)
    assert not blocked.done()
    (fp_dir / "s.release").touch()
    await asyncio.wait_for(blocked, 5)


def test_crash_kills_the_process_like_kill_9(tmp_path: Path) -> None:
    """Armed through the environment, as a test arms a real executor."""
    code = (
        "import asyncio\n"
        "from syncplane.failpoints import failpoint\n"
        "async def main():\n"
        "    await failpoint('c')\n"
        "    print('first hit passed', flush=True)\n"
        "    await failpoint('c')\n"
        "    print('survived')\n"
        "asyncio.run(main())\n"
    )
    env = {**os.environ, failpoints.ENV: "c=2*crash", failpoints.DIR_ENV: str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == "first hit passed\n"
    assert (tmp_path / "c.hit").read_text().strip().isdigit()
