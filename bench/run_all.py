"""Runs every benchmark once with its defaults (`make bench`), one after another.

    .venv/bin/python -m bench.run_all [--only load_postgres fan_out_window ...]

Each benchmark is its own process, so one's memory and event loop do not
touch the next; their tables go to stdout and most write bench/out/<name>.md.
The figures to record, and what each measures, are in bench/README.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: Cheapest first, so a quick look needs only the first few.
BENCHES = (
    "load_postgres",
    "fan_out_window",
    "http_api",
    "dispatch_engine",
    "dispatch",
    "gateway",
    "security_keys",
    "identity",
    "sync_job",
    "kills",
    "replicas",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="+", choices=BENCHES, default=list(BENCHES))
    args = parser.parse_args(argv)
    failed = []
    for name in args.only:
        print(f"== bench.{name}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=REPO)
        print(f"== bench.{name}: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
