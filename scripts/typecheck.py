"""Runs mypy on the installed package layout (`make test` runs it after ruff).

Installed, `protos/syncplane`, `server` and `executor` are one package, `syncplane` (setup.py maps
the folders). mypy cannot follow setuptools' editable-install import hook, so this lays the same
tree out of symlinks under build/typecheck and points mypy at it: every file is checked in place,
under the module name it is imported by.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TREE = REPO / "build" / "typecheck"


def lay_out() -> Path:
    shutil.rmtree(TREE, ignore_errors=True)
    package = TREE / "syncplane"
    package.mkdir(parents=True)
    for entry in (REPO / "protos" / "syncplane").iterdir():
        if entry.name != "__pycache__":
            os.symlink(entry, package / entry.name)
    os.symlink(REPO / "server", package / "server")
    os.symlink(REPO / "executor", package / "executor")
    return TREE


def main() -> int:
    tree = lay_out()
    env = {**os.environ, "MYPYPATH": str(tree)}
    # The targets and their strictness are in pyproject.toml ([tool.mypy]).
    cmd = [sys.executable, "-m", "mypy", *sys.argv[1:]]
    return subprocess.run(cmd, cwd=REPO, env=env).returncode


if __name__ == "__main__":
    raise SystemExit(main())
