"""Installed, syncplane is one top-level package, `syncplane`, while the repository keeps its folders:

    protos/syncplane  ->  syncplane            (generated API + the small modules server and executor share)
    server            ->  syncplane.server     (control plane, engine, dialects, gateway, CLI)
    executor          ->  syncplane.executor   (the executor process and its connectors)

pyproject.toml holds everything else; only this mapping needs code, because setuptools' `find` in
pyproject.toml cannot put a folder's packages under another package's name. `bench` and `tests` are
not installed.
"""

from setuptools import find_namespace_packages, setup

ROOTS = {"syncplane": "protos/syncplane", "syncplane.server": "server", "syncplane.executor": "executor"}


def _packages() -> list[str]:
    # Namespace discovery: the data-only folders (server/db/sql, migrations) are packages too, so
    # their files ship as package data without a warning.
    found: list[str] = []
    for name, folder in ROOTS.items():
        found.append(name)
        found.extend(f"{name}.{sub}" for sub in find_namespace_packages(folder, exclude=["*__pycache__*"]))
    return sorted(set(found))


setup(packages=_packages(), package_dir=ROOTS)
