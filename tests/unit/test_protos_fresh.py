"""The committed generated code is exactly what `make protos` produces."""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_generated_code_matches_protos(tmp_path: pathlib.Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_protos.py"), "--out", str(tmp_path)], check=True)
    fresh = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert fresh, "the generator produced nothing"
    stale = [
        str(rel) for rel, content in fresh.items()
        if not (ROOT / "protos" / rel).exists() or (ROOT / "protos" / rel).read_bytes() != content
    ]
    assert not stale, f"regenerate with `make protos` and commit: {stale}"
    committed = {
        p.relative_to(ROOT / "protos")
        for p in (ROOT / "protos").rglob("*_pb2*.py*")
        if "__pycache__" not in p.parts  # bytecode Python left beside the modules, not generated code
    }
    orphans = sorted(str(p) for p in committed - set(fresh))
    assert not orphans, f"generated files without a .proto: {orphans}"
