"""deploy/ checked offline by schema validators: the Kubernetes manifests against the API's OpenAPI
schemas (kubernetes-validate, strict: an unknown field is an error) and the compose file against the
Compose Specification (compose-spec's parser refuses unknown keys); plus what an operator relies on:
probes on /healthz and /readyz, resources, a disruption budget per workload, the Secret used, and the
image's health check."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from compose_spec import PyCompose

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"


def _documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def _by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in _documents() if d["kind"] == kind}


def test_every_manifest_is_valid_kubernetes_strictly() -> None:
    docs = _documents()
    assert {d["kind"] for d in docs} == {"Secret", "Deployment", "Service", "PodDisruptionBudget"}
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_validator_refuses_a_misspelt_field() -> None:
    server = copy.deepcopy(_by_kind("Deployment")["syncplane-server"])
    server["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/readyz", "port": 8080}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(server, KUBERNETES_VERSION, strict=True)


def test_servers_are_probed_limited_and_read_their_secrets() -> None:
    deployments = _by_kind("Deployment")
    server = deployments["syncplane-server"]["spec"]["template"]["spec"]["containers"][0]
    assert server["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert server["readinessProbe"]["httpGet"]["path"] == "/readyz?without=executors"
    secret_keys = set(_by_kind("Secret")["syncplane"]["stringData"])
    for deployment in deployments.values():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert {"requests", "limits"} <= set(container["resources"])
        for env in container["env"]:
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"] == "syncplane" and ref["key"] in secret_keys
    budgets = {d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] for d in _by_kind("PodDisruptionBudget").values()}
    assert budgets == {"server", "executor"}
    # Executors reach every replica, ready or still starting.
    assert _by_kind("Service")["syncplane-executors"]["spec"]["publishNotReadyAddresses"] is True


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())  # resolves the `<<` merges
    return {k: v for k, v in data.items() if not k.startswith("x-")}


def test_the_compose_file_follows_the_compose_specification() -> None:
    data = _compose()
    parsed = PyCompose.from_json(json.dumps(data))
    assert set(parsed.service_names()) == {"postgres", "server-1", "server-2", "executor-1", "executor-2",
                                           "temporal", "temporal-ui", "temporal-worker"}
    services = data["services"]
    assert services["temporal"]["profiles"] == ["temporal"] and "profiles" not in services["server-1"]
    # The Temporal profile: a worker from the same image (built with the temporal extra) on both
    # replicas, and servers told where Temporal is only when the operator sets it.
    worker = services["temporal-worker"]
    assert worker["profiles"] == ["temporal"] and worker["image"] == services["server-1"]["image"]
    assert worker["command"][0] == "temporal-worker" and "server-1:50051,server-2:50051" in worker["command"]
    assert services["server-1"]["build"]["args"]["EXTRAS"] == "temporal"
    assert services["server-1"]["environment"]["SYNCPLANE_TEMPORAL_ADDRESS"] == "${SYNCPLANE_TEMPORAL_ADDRESS:-}"
    assert services["executor-1"]["healthcheck"] == {"disable": True}
    assert "server-1:50051,server-2:50051" in services["executor-2"]["command"]
    data["services"]["server-1"]["helthcheck"] = {"test": ["CMD", "true"]}
    with pytest.raises(ValueError):
        PyCompose.from_json(json.dumps(data))


def test_the_image_checks_its_health_and_names_its_database_variables() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert 'pip install --no-cache-dir ".${EXTRAS:+[$EXTRAS]}"' in dockerfile  # extras by build argument
    assert "SYNCPLANE_DATABASE_URL" in dockerfile and "SYNCPLANE_DATA_STORE_URL" in dockerfile
