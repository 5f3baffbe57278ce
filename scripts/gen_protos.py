"""Regenerate the committed protobuf/gRPC code beside the .proto files, and
protos/syncplane/source_info.binpb: a descriptor set of our .proto files with
their comments (SourceCodeInfo), from which the gateway's OpenAPI document takes
its descriptions (the generated modules carry no comments).

Usage: python scripts/gen_protos.py [--out DIR]

With --out the code is written to DIR instead (the staleness test compares
that output with the committed files).
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import sys

from google.api import annotations_pb2  # googleapis-common-protos ships google/api/*.proto
from grpc_tools import protoc

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
#: Beside the generated code, relative to the output folder.
SOURCE_INFO = pathlib.Path("syncplane") / "source_info.binpb"


def include_dirs() -> list[str]:
    googleapis = pathlib.Path(annotations_pb2.__file__).resolve().parent.parent.parent
    well_known = pathlib.Path(protoc.__file__).resolve().parent / "_proto"
    return [str(PROTO_ROOT), str(googleapis), str(well_known)]


def proto_files() -> list[pathlib.Path]:
    return sorted(PROTO_ROOT.glob("syncplane/**/*.proto"))


def generate(out: pathlib.Path) -> None:
    files = proto_files()
    args = ["grpc_tools.protoc", *(f"-I{d}" for d in include_dirs())]
    args += [f"--python_out={out}", f"--pyi_out={out}", f"--grpc_python_out={out}"]
    (out / SOURCE_INFO).parent.mkdir(parents=True, exist_ok=True)
    args += [f"--descriptor_set_out={out / SOURCE_INFO}", "--include_source_info"]
    args += [str(p.relative_to(PROTO_ROOT)) for p in files]
    if protoc.main(args) != 0:
        sys.exit("protoc failed")
    # Every folder on the way to a generated module is a regular package.
    for proto in files:
        pkg = out / proto.relative_to(PROTO_ROOT).parent
        while pkg != out:
            (pkg / "__init__.py").touch()
            pkg = pkg.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, default=PROTO_ROOT)
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    if out != PROTO_ROOT:
        shutil.rmtree(out / "syncplane", ignore_errors=True)
    generate(out)


if __name__ == "__main__":
    main()
