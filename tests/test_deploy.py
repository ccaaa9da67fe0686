"""The deployment files: compose stack, worker image, Kubernetes manifests, and services.sh's start errors.

Everything is checked offline: `docker compose config` (the Debian docker-compose or docker.io client
needs no engine for it), `kubectl kustomize` (its built-in Kustomize), the Kubernetes schemas of
kubernetes-validate and the CRD schemas vendored in deploy/k8s/schemas/.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import socket
import subprocess
import uuid
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from crawler import defaults, metrics_catalog

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
KUBERNETES_VERSION = "1.31"
# Handing over on SIGTERM: in-flight fetches, the last bulk request, then releasing the shards.
HANDOVER_MARGIN_SECONDS = 10
# Long-running services of the compose stack (the rest are one-shot jobs).
LONG_RUNNING = {"redis", "elasticsearch", "kibana", "exporter", "worker", "prometheus", "alertmanager",
                "grafana"}
CUSTOM_SCHEMAS = {
    ("ScaledObject", "keda.sh/v1alpha1"): "scaledobject-keda-v1alpha1.json",
    ("PodMonitor", "monitoring.coreos.com/v1"): "podmonitor-monitoring-v1.json",
    ("ServiceMonitor", "monitoring.coreos.com/v1"): "servicemonitor-monitoring-v1.json",
    ("Elasticsearch", "elasticsearch.k8s.elastic.co/v1"): "elasticsearch-elasticsearch-v1.json",
    ("Kibana", "kibana.k8s.elastic.co/v1"): "kibana-kibana-v1.json",
}


# --- helpers ------------------------------------------------------------------------------------------
def _compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True,
                                                 check=False).returncode == 0:
        return ["docker", "compose"]
    pytest.fail("no compose client: install the Debian package docker-compose (apt-get install "
                "docker-compose)")


def _compose_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    command = [*_compose_command(), "-f", str(DEPLOY / "compose.yaml"), "--env-file", str(env_file), "config"]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)


@cache
def _compose() -> dict[str, Any]:
    rendered = _compose_config(ROOT / ".env.example")
    assert rendered.returncode == 0, rendered.stderr
    document: dict[str, Any] = yaml.safe_load(rendered.stdout)
    return document


@cache
def _kustomize(overlay: str) -> tuple[dict[str, Any], ...]:
    if shutil.which("kubectl"):
        command = ["kubectl", "kustomize"]
    elif shutil.which("kustomize"):
        command = ["kustomize", "build"]
    else:
        pytest.fail("neither kubectl nor kustomize is installed: scripts/services.sh tools builds kustomize")
    command += ["--load-restrictor", "LoadRestrictionsNone", str(K8S / overlay)]
    built = subprocess.run(command, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    return tuple(document for document in yaml.safe_load_all(built.stdout) if document)


def _one(documents: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any]:
    found = [doc for doc in documents if doc["kind"] == kind and doc["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _strict(schema: Any) -> Any:
    """A CRD schema refusing unknown fields, as `kubeconform -strict` does (Kubernetes would prune them)."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    strict = {key: _strict(value) for key, value in schema.items()}
    if "properties" in schema and "additionalProperties" not in schema \
            and not schema.get("x-kubernetes-preserve-unknown-fields"):
        strict["additionalProperties"] = False
    return strict


def _custom_schema(kind: str, api_version: str) -> dict[str, Any]:
    name = CUSTOM_SCHEMAS.get((kind, api_version))
    assert name is not None, f"no schema vendored for {kind} {api_version}: add it to deploy/k8s/schemas"
    schema: dict[str, Any] = json.loads((K8S / "schemas" / name).read_text(encoding="utf-8"))
    return _strict(schema)


def _containers(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = document.get("spec", {})
    pod = spec.get("template", {}).get("spec") or spec.get("jobTemplate", {}).get("spec", {}).get(
        "template", {}).get("spec") or {}
    yield from pod.get("initContainers", [])
    yield from pod.get("containers", [])


def _free_port_pair() -> int:
    """A port P with P and P + 100 free (Elasticsearch's HTTP and transport ports)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port + 100 < 65536:
            with socket.socket() as other:
                try:
                    other.bind(("127.0.0.1", port + 100))
                except OSError:
                    continue
            return port
    pytest.fail("no free pair of ports")


# --- compose ------------------------------------------------------------------------------------------
def test_the_compose_stack_renders_with_the_example_env_file() -> None:
    services = _compose()["services"]
    assert LONG_RUNNING | {"es-certs", "es-setup", "kibana-import", "seed"} <= set(services)
    for name in LONG_RUNNING:
        service = services[name]
        assert "healthcheck" in service, f"{name} has no healthcheck"
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        assert limits.get("cpus") and limits.get("memory"), f"{name} has no resource limits"
    for name in ("redis", "elasticsearch", "prometheus", "grafana", "alertmanager"):
        named = [volume for volume in services[name]["volumes"]
                 if isinstance(volume, str) and not volume.startswith(("/", "."))
                 and not volume.endswith(":ro")]
        assert named, f"{name} keeps no data in a named volume"
    # N workers with --scale: no fixed name, no host port.
    worker = services["worker"]
    assert "container_name" not in worker and "ports" not in worker
    # Published ports are on the host's loopback only.
    for name, service in services.items():
        for port in service.get("ports", []):
            published = port if isinstance(port, str) else \
                f"{port.get('host_ip', '')}:{port.get('published')}"
            assert published.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_the_compose_stack_uses_security_on_every_service() -> None:
    services = _compose()["services"]
    redis_command = " ".join(services["redis"]["command"])
    assert "user default off" in redis_command and "--appendonly yes" in redis_command
    environment = services["elasticsearch"]["environment"]
    assert environment["xpack.security.enabled"] == "true"
    assert environment["xpack.security.http.ssl.enabled"] == "true"
    worker = services["worker"]["environment"]
    assert worker["GOVCRAWL_ES_URL"].startswith("https://")
    assert worker["GOVCRAWL_ES_USER"] == "govcrawl" and worker["GOVCRAWL_REDIS_USERNAME"] == "govcrawl"


def test_the_compose_stack_refuses_to_render_without_its_secrets(tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("", encoding="utf-8")
    rendered = _compose_config(empty)
    assert rendered.returncode != 0
    assert re.search(r"set \w*PASSWORD in \.env", rendered.stderr), rendered.stderr


def test_compose_gives_workers_the_handover_time() -> None:
    grace = _compose()["services"]["worker"]["stop_grace_period"]
    seconds = int(grace.rstrip("s")) if grace.endswith("s") and not grace.endswith("ms") else None
    assert seconds == _kubernetes_worker()["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]


def test_the_compose_prometheus_config_is_valid_as_mounted(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not on PATH: install it with `apt-get install prometheus`")
    # As the compose service mounts them: the config beside the rules of deploy/prometheus/rules.
    shutil.copy(DEPLOY / "compose" / "prometheus.yml", tmp_path / "prometheus.yml")
    (tmp_path / "rules").symlink_to(DEPLOY / "prometheus" / "rules")
    checked = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "2 rule files found" in checked.stdout


def test_the_compose_prometheus_keeps_the_jobs_and_limits_of_the_example() -> None:
    def jobs(path: Path) -> dict[str, dict[str, Any]]:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        limits = ("sample_limit", "label_limit", "label_value_length_limit", "scrape_interval",
                  "scrape_timeout")
        return {job["job_name"]: {key: job.get(key) for key in limits} for job in config["scrape_configs"]}

    assert jobs(DEPLOY / "compose" / "prometheus.yml") == jobs(DEPLOY / "prometheus" / "prometheus.yml")


def test_the_compose_grafana_datasource_differs_from_the_example_by_its_address_only() -> None:
    def datasource(path: Path) -> dict[str, Any]:
        (source,) = yaml.safe_load(path.read_text(encoding="utf-8"))["datasources"]
        return dict(source)

    compose = datasource(DEPLOY / "compose" / "grafana-datasource.yml")
    example = datasource(DEPLOY / "grafana" / "provisioning" / "datasources" / "govcrawl-prometheus.yml")
    assert compose.pop("url") == "http://prometheus:9090"
    example.pop("url")
    assert compose == example


# --- images ---------------------------------------------------------------------------------------------
def _image_pinned(image: str) -> bool:
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and tag != "latest" and re.search(r"\d", tag) is not None


def test_every_image_is_pinned_to_a_version() -> None:
    images = [service["image"] for service in _compose()["services"].values()]
    for overlay in ("base", "overlays/production"):
        for document in _kustomize(overlay):
            images += [container["image"] for container in _containers(document)]
            if document["kind"] in ("Elasticsearch", "Kibana"):
                assert re.fullmatch(r"\d+\.\d+\.\d+", document["spec"]["version"])
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    images += re.findall(r"^ARG PYTHON_IMAGE=(\S+)", dockerfile, flags=re.MULTILINE)
    assert len(images) > 10
    unpinned = sorted({image for image in images if not _image_pinned(image)})
    assert not unpinned, f"images without a pinned version: {unpinned}"


def test_the_pin_check_catches_latest_and_missing_tags() -> None:
    assert not _image_pinned("redis:latest")
    assert not _image_pinned("redis")
    assert not _image_pinned("registry.example:5000/redis")
    assert _image_pinned("registry.example:5000/redis:7.4.2")


def test_the_worker_image_is_multi_stage_and_runs_as_an_unprivileged_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+\S+(?:\s+AS\s+(\w+))?", dockerfile, flags=re.MULTILINE | re.IGNORECASE)
    assert len(stages) >= 2, "the image must be built in stages"
    final = dockerfile[dockerfile.rfind("\nFROM "):]
    assert re.search(r"^COPY --from=builder ", final, flags=re.MULTILINE), "the runtime copies the build"
    assert "build-essential" not in final, "compilers stay in the builder stage"
    users = re.findall(r"^USER\s+(\S+)", final, flags=re.MULTILINE)
    assert users, "the runtime stage sets no USER: it would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    # Kubernetes runs the same UID, and refuses root.
    context = _kubernetes_worker()["spec"]["template"]["spec"]["securityContext"]
    assert context["runAsNonRoot"] is True and str(context["runAsUser"]) == user


# --- secrets --------------------------------------------------------------------------------------------
def _tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    kept = ("deploy/", "Dockerfile", ".env", ".dockerignore")
    return [ROOT / name for name in listed if name.startswith(kept)]


def test_no_secret_is_kept_in_git() -> None:
    files = _tracked_files()
    assert ROOT / ".env.example" in files and ROOT / "deploy" / "compose.yaml" in files
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert "PRIVATE KEY-----" not in text, f"{path} holds a private key"
        if path.name == ".env.example":
            for name, value in re.findall(r"^(\w+)=(.*)$", text, flags=re.MULTILINE):
                if re.search(r"PASSWORD|KEY|SECRET|TOKEN", name):
                    assert value.startswith("CHANGE-ME"), f".env.example gives {name} a real value"
    # The real env file and the local servers' credentials stay out of git.
    for name in (".env", "run/secure/credentials"):
        ignored = subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT, check=False)
        assert ignored.returncode == 0, f"{name} is not ignored by git"
    # Kubernetes refers to Secrets it does not define, except the (public) Elasticsearch role.
    for overlay in ("base", "overlays/production"):
        secrets = [doc["metadata"]["name"] for doc in _kustomize(overlay) if doc["kind"] == "Secret"]
        assert secrets == ["govcrawl-es-roles"]


# --- Kubernetes -----------------------------------------------------------------------------------------
def _kubernetes_worker(overlay: str = "base") -> dict[str, Any]:
    return _one(_kustomize(overlay), "StatefulSet", "govcrawl-worker")


@pytest.mark.parametrize("overlay", ["base", "overlays/production"])
def test_every_manifest_is_valid_against_the_kubernetes_and_crd_schemas(overlay: str) -> None:
    documents = _kustomize(overlay)
    assert len(documents) > 10
    for document in documents:
        key = (document["kind"], document["apiVersion"])
        if key in CUSTOM_SCHEMAS:
            jsonschema.validate(document, _custom_schema(*key))
        else:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_crd_check_catches_a_misspelt_field() -> None:
    scaled = copy.deepcopy(_one(_kustomize("base"), "ScaledObject", "govcrawl-worker"))
    scaled["spec"]["maxReplicas"] = scaled["spec"].pop("maxReplicaCount")
    with pytest.raises(jsonschema.ValidationError, match="maxReplicas"):
        jsonschema.validate(scaled, _custom_schema("ScaledObject", "keda.sh/v1alpha1"))


def test_the_worker_grace_period_covers_its_sigterm_handover() -> None:
    grace = _kubernetes_worker()["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    handover = defaults.GOVCRAWL_CRAWL_TIMEOUT_SECONDS + defaults.GOVCRAWL_ES_REQUEST_TIMEOUT_SECONDS
    assert handover + HANDOVER_MARGIN_SECONDS <= grace <= 2 * handover + HANDOVER_MARGIN_SECONDS


@pytest.mark.parametrize("overlay", ["base", "overlays/production"])
def test_workers_scale_on_the_frontier_queue_within_the_shard_count(overlay: str) -> None:
    documents = _kustomize(overlay)
    scaled = _one(documents, "ScaledObject", "govcrawl-worker")
    target = scaled["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("StatefulSet", "govcrawl-worker")
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "prometheus"
    assert metrics_catalog.FRONTIER_QUEUED_REQUESTS.name in trigger["metadata"]["query"]
    settings = next(doc for doc in documents if doc["kind"] == "ConfigMap"
                    and doc["metadata"]["name"].startswith("govcrawl-settings"))["data"]
    shards = int(settings["GOVCRAWL_FRONTIER_SHARDS"])
    assert scaled["spec"]["maxReplicaCount"] <= shards // 4, "each worker should own several shards"
    assert scaled["spec"]["minReplicaCount"] >= 2
    budget = _one(documents, "PodDisruptionBudget", "govcrawl-worker")
    assert budget["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("overlay", ["base", "overlays/production"])
def test_monitors_select_the_pods_and_ports_that_serve_metrics(overlay: str) -> None:
    documents = _kustomize(overlay)
    worker = _kubernetes_worker(overlay)
    pod_monitor = _one(documents, "PodMonitor", "govcrawl-workers")
    labels = worker["spec"]["template"]["metadata"]["labels"]
    assert pod_monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ports = {port["name"] for container in _containers(worker) for port in container.get("ports", [])}
    assert {endpoint["port"] for endpoint in pod_monitor["spec"]["podMetricsEndpoints"]} <= ports
    service = _one(documents, "Service", "govcrawl-exporter")
    service_monitor = _one(documents, "ServiceMonitor", "govcrawl-exporter")
    assert service_monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert {endpoint["port"] for endpoint in service_monitor["spec"]["endpoints"]} <= \
        {port["name"] for port in service["spec"]["ports"]}


def test_production_uses_a_managed_redis_over_tls_and_three_elasticsearch_nodes() -> None:
    documents = _kustomize("overlays/production")
    assert not [doc for doc in documents if doc["metadata"]["name"] == "govcrawl-redis"]
    settings = next(doc for doc in documents if doc["kind"] == "ConfigMap"
                    and doc["metadata"]["name"].startswith("govcrawl-settings"))["data"]
    assert settings["GOVCRAWL_REDIS_URL"].startswith("rediss://")
    assert settings["GOVCRAWL_ES_URL"].startswith("https://")
    mounted = {mount["mountPath"] for container in _containers(_kubernetes_worker("overlays/production"))
               for mount in container["volumeMounts"]}
    assert str(Path(settings["GOVCRAWL_REDIS_CA_CERTS"]).parent) in mounted
    cluster = _one(documents, "Elasticsearch", "govcrawl")
    assert sum(node_set["count"] for node_set in cluster["spec"]["nodeSets"]) == 3
    assert all(doc["metadata"].get("namespace") == "govcrawl"
               for doc in documents if doc["kind"] != "Namespace")


# --- scripts/services.sh: the real cause of a failed start, in one line ------------------------------------
def _services(env: dict[str, str], tmp_path: Path, *, path_prefix: Path | None = None
              ) -> subprocess.CompletedProcess[str]:
    environ = {"PATH": f"{path_prefix}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
               if path_prefix else "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "GOVCRAWL_RUN_DIR": str(tmp_path / "run"), **env}
    return subprocess.run([str(ROOT / "scripts" / "services.sh"), "start"], env=environ, capture_output=True,
                          text=True, timeout=300, check=False)


def _errors(finished: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in finished.stderr.splitlines() if "ERROR" in line]


@pytest.fixture
def busy_port() -> Iterator[tuple[int, socket.socket]]:
    """A port P, with P + 100 held by a listening socket of this test."""
    port = _free_port_pair()
    holder = socket.socket()
    holder.bind(("127.0.0.1", port + 100))
    holder.listen()
    yield port, holder
    holder.close()


def test_services_names_a_busy_elasticsearch_transport_port(busy_port: tuple[int, socket.socket],
                                                            tmp_path: Path) -> None:
    port, _ = busy_port
    finished = _services({"GOVCRAWL_REDIS_URL": "redis://unused", "GOVCRAWL_LOCAL_ES_PORT": str(port)},
                         tmp_path)
    assert finished.returncode == 1
    (error,) = _errors(finished)
    assert f"port {port + 100} is already in use" in error
    assert "transport port = HTTP port + 100" in error and "GOVCRAWL_LOCAL_ES_PORT" in error


def test_services_names_a_busy_redis_port(busy_port: tuple[int, socket.socket], tmp_path: Path) -> None:
    port, _ = busy_port
    finished = _services({"GOVCRAWL_ES_URL": "http://unused", "GOVCRAWL_LOCAL_REDIS_PORT": str(port + 100)},
                         tmp_path)
    assert finished.returncode == 1
    (error,) = _errors(finished)
    assert f"cannot start redis: port {port + 100} is already in use" in error


@pytest.fixture
def es_run_dir() -> Iterator[Path]:
    """A run directory the unprivileged Elasticsearch user can enter (pytest's tmp_path is root's alone)."""
    directory = ROOT / "run" / f"test-deploy-{uuid.uuid4().hex[:8]}"
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.slow
def test_a_failed_start_is_explained_by_the_servers_own_log_line(busy_port: tuple[int, socket.socket],
                                                                 tmp_path: Path, es_run_dir: Path) -> None:
    # An `ss` that sees no listener lets the start go ahead; the servers then fail to bind, and their
    # own log says why.
    port, _ = busy_port
    blind = tmp_path / "bin"
    blind.mkdir()
    (blind / "ss").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    (blind / "ss").chmod(0o755)
    redis = _services({"GOVCRAWL_ES_URL": "http://unused", "GOVCRAWL_LOCAL_REDIS_PORT": str(port + 100)},
                      tmp_path, path_prefix=blind)
    assert redis.returncode == 1
    (error,) = _errors(redis)
    assert "Address already in use" in error and f"{port + 100}" in error
    es = _services({"GOVCRAWL_REDIS_URL": "redis://unused", "GOVCRAWL_LOCAL_ES_PORT": str(port),
                    "GOVCRAWL_RUN_DIR": str(es_run_dir)}, tmp_path, path_prefix=blind)
    assert es.returncode == 1
    (error,) = _errors(es)
    assert f"Failed to bind to 127.0.0.1:{port + 100} (address already in use)" in error
