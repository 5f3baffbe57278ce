"""Installed, syncplane puts exactly one top-level package into site-packages (`syncplane`, with its
server and executor beneath it; setup.py maps the repository's folders onto it), and no module in the
repository imports the folders by their old top-level names."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OLD_IMPORT = re.compile(r"^\s*(from|import) (server|executor)(\.| |$)", re.M)


def test_no_module_imports_the_old_top_level_names() -> None:
    offenders = []
    for path in REPO.rglob("*.py"):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith((".venv/", "build/")) or ".egg-info" in rel:
            continue
        if OLD_IMPORT.search(path.read_text()):
            offenders.append(rel)
    assert not offenders, f"import syncplane.server / syncplane.executor instead: {offenders}"


def test_the_wheel_holds_one_top_level_package(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(REPO)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("syncplane-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"syncplane"}
    # The server, the executor, the generated API, and the server's SQL travel inside it; benchmarks do not.
    for expected in ("syncplane/server/cli.py", "syncplane/executor/runner.py", "syncplane/wire.py",
                     "syncplane/server/db/migrations/0001_init.sql", "syncplane/server/dialects/syncs/__init__.py"):
        assert expected in names
    assert not [name for name in names if name.startswith("syncplane/bench") or "/tests/" in name]
