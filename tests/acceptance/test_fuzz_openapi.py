"""Property-based fuzzing of the whole REST API from its own /openapi.json (schemathesis).

Every operation gets schemathesis's explicit examples, its coverage phase (boundary and invalid
values: empty strings, huge numbers, wrong types, odd Unicode) and a bounded number of generated
cases, valid and invalid, authenticated with the admin key. Any 5xx, or a response that does not
match the schema the gateway publishes, fails the test. The seed is fixed, so a run repeats.

Left out: revoking API keys (the fuzzer would revoke its own), /readyz (503 with no executor, by
design) and the watch streams (NDJSON that stays open while its run lives).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from pathlib import Path

from tests.acceptance.harness import ADMIN_KEY, Stack

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MAX_EXAMPLES = 10
EXCLUDED_OPERATIONS = ("AdminService_RevokeApiKey", "health_ready")
EXCLUDED_PATHS = r"/watch$"


def fuzz_command(base: str, junit: Path) -> list[str]:
    command = [
        str(SCHEMATHESIS), "run", f"{base}/openapi.json",
        "--header", f"X-API-Key: {ADMIN_KEY}",
        "--checks", "not_a_server_error,response_schema_conformance",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(MAX_EXAMPLES),
        "--workers", "2",
        "--seed", "1",
        "--exclude-path-regex", EXCLUDED_PATHS,
        "--request-timeout", "30",
        "--report", "junit", "--report-junit-path", str(junit),
    ]
    for operation in EXCLUDED_OPERATIONS:
        command += ["--exclude-operation-id", operation]
    return command


async def test_no_operation_answers_5xx_or_breaks_its_schema(api_stack: Stack, tmp_path: Path) -> None:
    junit = tmp_path / "fuzz.xml"
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *fuzz_command(api_stack.base, junit),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        cwd=tmp_path,  # its example databases (.schemathesis, .hypothesis) stay out of the repository
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=270)  # under pytest-timeout's 300 s
    text = output.decode(errors="replace")
    seconds = time.monotonic() - started
    tested = re.search(r"Tested:\s+(\d+)", text)
    generated = re.search(r"(\d+) generated", text)
    print(f"fuzz: {tested and tested[1]} operations, {generated and generated[1]} test cases, {seconds:.1f} s")
    assert process.returncode == 0, text[-8000:]
    assert tested is not None and int(tested[1]) >= 80, text[-2000:]
    assert generated is not None and int(generated[1]) > 0
    # The server agrees: not one request reached a handler's catch-all.
    assert api_stack.server is not None
    log = api_stack.server.log()
    assert "gateway.unhandled" not in log and "rpc.internal_error" not in log and "Traceback" not in log
    server_errors = [
        line for line in log.splitlines()
        if re.search(r'"status": 5\d\d', line) and '"path": "/readyz"' not in line  # the harness's own wait
    ]
    assert server_errors == []
